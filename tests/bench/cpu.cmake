# bench_cpu: prefill and decode tokens/s of the CPU backend on the fixture models and on a
# Qwen2.5-0.5B-shaped model with random weights (a program that prints numbers, not a test).
add_executable(bench_cpu ${CMAKE_CURRENT_LIST_DIR}/bench_cpu.cpp)
target_link_libraries(bench_cpu PRIVATE pagoda_cpu pagoda_backend pagoda::blas)
pagoda_test_defs(bench_cpu)
