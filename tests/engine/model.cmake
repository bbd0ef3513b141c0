# Model loading (config.json, safetensors) and the CPU backend against the golden logits.
find_package(GTest REQUIRED)

pagoda_add_test(test_model LIBS pagoda_model GTest::gtest_main LABELS fast DATA)
pagoda_add_test(test_cpu_backend LIBS pagoda_device GTest::gtest_main LABELS fast DATA)
pagoda_add_test(test_cpu_backend_shapes LIBS pagoda_cpu pagoda_backend GTest::gtest_main
                LABELS fast)
