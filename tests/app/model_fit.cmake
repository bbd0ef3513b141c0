# The hub's config-only weight-size estimate (quantization-aware), against real fixture files.
if(TARGET pagoda_hub)
  add_executable(test_model_fit ${CMAKE_CURRENT_LIST_DIR}/test_model_fit.cpp)
  target_link_libraries(test_model_fit PRIVATE pagoda_hub GTest::gtest_main)
  pagoda_test_defs(test_model_fit)
  add_test(NAME test_model_fit COMMAND test_model_fit)
  set_tests_properties(test_model_fit PROPERTIES LABELS "fast")
endif()
