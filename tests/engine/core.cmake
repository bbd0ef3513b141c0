# Engine core: block manager, scheduler and sampler on their own (fake model, hand-made logits),
# then the whole engine on the fixture models once every engine module has sources.
find_package(GTest REQUIRED)

add_executable(test_block_manager ${CMAKE_CURRENT_LIST_DIR}/test_block_manager.cpp)
target_link_libraries(test_block_manager PRIVATE pagoda_scheduler GTest::gtest_main)
add_test(NAME block_manager COMMAND test_block_manager)

add_executable(test_scheduler ${CMAKE_CURRENT_LIST_DIR}/test_scheduler.cpp)
target_link_libraries(test_scheduler PRIVATE pagoda_scheduler GTest::gtest_main)
add_test(NAME scheduler COMMAND test_scheduler)

add_executable(test_sampler ${CMAKE_CURRENT_LIST_DIR}/test_sampler.cpp)
target_link_libraries(test_sampler PRIVATE pagoda_backend GTest::gtest_main)
add_test(NAME sampler COMMAND test_sampler)

set_tests_properties(block_manager scheduler sampler PROPERTIES LABELS "fast")

# The end-to-end tests need the tokenizer, chat, model and CPU modules to have sources.
set(_engine_ready TRUE)
foreach(_m pagoda_tokenizer pagoda_chat pagoda_jinja pagoda_model pagoda_cpu pagoda_backend)
  get_target_property(_type ${_m} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    set(_engine_ready FALSE)
  endif()
endforeach()
if(_engine_ready)
  add_executable(test_engine ${CMAKE_CURRENT_LIST_DIR}/test_engine.cpp)
  target_link_libraries(test_engine PRIVATE pagoda_engine GTest::gtest_main)
  pagoda_test_defs(test_engine)
  add_test(NAME engine COMMAND test_engine)
  add_executable(test_engine_cli ${CMAKE_CURRENT_LIST_DIR}/test_engine_cli.cpp)
  target_link_libraries(test_engine_cli PRIVATE pagoda_util GTest::gtest_main)
  target_compile_definitions(test_engine_cli PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
  add_dependencies(test_engine_cli pagoda-cli)
  pagoda_test_defs(test_engine_cli)
  add_test(NAME engine_cli COMMAND test_engine_cli)
  set_tests_properties(engine engine_cli PROPERTIES LABELS "fast")
endif()
