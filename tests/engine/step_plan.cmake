# The CUDA backend's host-side step plan: no GPU and no CUDA toolkit needed.
find_package(GTest REQUIRED)
add_executable(test_step_plan ${CMAKE_CURRENT_LIST_DIR}/test_step_plan.cpp)
target_link_libraries(test_step_plan PRIVATE pagoda_step_plan GTest::gtest_main)
add_test(NAME step_plan COMMAND test_step_plan)
set_tests_properties(step_plan PROPERTIES LABELS "fast")
