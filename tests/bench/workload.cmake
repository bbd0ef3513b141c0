# The benchmark inputs that C++ and Python share: bench_workload.h's seeded requests against
# serve_bench.py's, make_random_checkpoint.py's config.json against bench_shapes.h, and the
# engine_workload.h run (pagoda-bench --engine) through demo-chat on the CPU.
find_package(GTest REQUIRED)
pagoda_add_test(test_bench_workload NAME bench_workload
                LIBS pagoda_engine GTest::gtest_main LABELS fast DATA)
set_tests_properties(bench_workload PROPERTIES TIMEOUT 120)
