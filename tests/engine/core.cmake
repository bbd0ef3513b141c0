# Engine core: block manager, scheduler and sampler on their own (fake model, hand-made logits),
# then the whole engine on the fixture models once every engine module has sources.
find_package(GTest REQUIRED)

pagoda_add_test(test_block_manager NAME block_manager LIBS pagoda_scheduler GTest::gtest_main
                LABELS fast)
pagoda_add_test(test_scheduler NAME scheduler LIBS pagoda_scheduler GTest::gtest_main LABELS fast)
pagoda_add_test(test_sampler NAME sampler LIBS pagoda_backend GTest::gtest_main LABELS fast)

# The end-to-end tests need the tokenizer, chat, model and CPU modules to have sources.
set(_engine_ready TRUE)
foreach(_m pagoda_tokenizer pagoda_chat pagoda_jinja pagoda_model pagoda_cpu pagoda_backend)
  get_target_property(_type ${_m} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    set(_engine_ready FALSE)
  endif()
endforeach()
if(_engine_ready)
  pagoda_add_test(test_engine NAME engine LIBS pagoda_engine GTest::gtest_main LABELS fast DATA)
  # The pipelined step loop against a strict fake backend that logs launch/finish/outputs.
  pagoda_add_test(test_engine_pipeline NAME engine_pipeline LIBS pagoda_engine GTest::gtest_main
                  LABELS fast DATA)
  pagoda_add_test(test_engine_cli NAME engine_cli LIBS pagoda_util GTest::gtest_main
                  LABELS fast DATA CLI)
endif()
