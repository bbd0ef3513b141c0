# Model loading (config.json, safetensors) and the CPU backend against the golden logits.
find_package(GTest REQUIRED)

add_executable(test_model ${CMAKE_CURRENT_LIST_DIR}/test_model.cpp)
target_link_libraries(test_model PRIVATE pagoda_model GTest::gtest_main)
pagoda_test_defs(test_model)
add_test(NAME test_model COMMAND test_model)
set_tests_properties(test_model PROPERTIES LABELS "fast")

add_executable(test_cpu_backend ${CMAKE_CURRENT_LIST_DIR}/test_cpu_backend.cpp)
target_link_libraries(test_cpu_backend PRIVATE pagoda_device GTest::gtest_main)
pagoda_test_defs(test_cpu_backend)
add_test(NAME test_cpu_backend COMMAND test_cpu_backend)
set_tests_properties(test_cpu_backend PROPERTIES LABELS "fast")

add_executable(test_cpu_backend_shapes ${CMAKE_CURRENT_LIST_DIR}/test_cpu_backend_shapes.cpp)
target_link_libraries(test_cpu_backend_shapes PRIVATE pagoda_cpu pagoda_backend GTest::gtest_main)
add_test(NAME test_cpu_backend_shapes COMMAND test_cpu_backend_shapes)
set_tests_properties(test_cpu_backend_shapes PROPERTIES LABELS "fast")
