# The hub's config-only weight-size estimate (quantization-aware), against real fixture files.
if(TARGET pagoda_hub)
  pagoda_add_test(test_model_fit LIBS pagoda_hub GTest::gtest_main LABELS fast DATA)
endif()
