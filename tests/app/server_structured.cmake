# Structured output through the HTTP server: response_format json_schema / json_object and
# vLLM's guided_* fields on a real engine (CPU), streamed and not, and the 400s with `param`.
if(TARGET pagoda_server_testing)
  add_executable(test_server_structured ${CMAKE_CURRENT_LIST_DIR}/test_server_structured.cpp)
  target_link_libraries(test_server_structured PRIVATE pagoda_server_testing GTest::gtest_main)
  pagoda_test_defs(test_server_structured)
  target_compile_definitions(test_server_structured PRIVATE
    PAGODA_OPENAI_CLIENT_DIR="${CMAKE_CURRENT_LIST_DIR}/openai-client")
  add_test(NAME server_structured COMMAND test_server_structured)
  set_tests_properties(server_structured PROPERTIES LABELS "fast" TIMEOUT 300)
endif()
