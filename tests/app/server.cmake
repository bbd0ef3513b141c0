# The OpenAI-compatible server: unit tests against a FakeEngine (real tokenizer and template,
# canned replies), hostile input, a bounded loopback load test, real clients (curl and the
# `openai` npm package), end to end on demo-chat with the CPU backend, and the hostile-client
# attacks against `pagoda-cli serve`.
find_package(GTest REQUIRED)

# A server test <target> (test <name>) on pagoda_server_testing, with the openai npm client's
# folder (PAGODA_OPENAI_CLIENT_DIR), label "fast", 300 s. server_structured.cmake uses it too.
function(pagoda_add_server_test target name)
  pagoda_add_test(${target} NAME ${name} LIBS pagoda_server_testing GTest::gtest_main DATA
                  LABELS fast)
  target_compile_definitions(${target} PRIVATE
    PAGODA_OPENAI_CLIENT_DIR="${CMAKE_CURRENT_LIST_DIR}/openai-client")
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()

set(_server_ready TRUE)
foreach(_m pagoda_tokenizer pagoda_chat pagoda_jinja pagoda_model pagoda_cpu pagoda_backend pagoda_core)
  get_target_property(_type ${_m} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    set(_server_ready FALSE)
  endif()
endforeach()

if(_server_ready AND TARGET pagoda_server)
  add_library(pagoda_server_testing STATIC ${CMAKE_CURRENT_LIST_DIR}/test_server_fake_engine.cpp)
  target_link_libraries(pagoda_server_testing PUBLIC pagoda_server pagoda::httplib)

  foreach(_t test_server test_server_fuzz test_server_load test_server_clients test_server_e2e
             test_server_security test_server_attacks)
    add_executable(${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.cpp)
    target_link_libraries(${_t} PRIVATE pagoda_server_testing GTest::gtest_main)
    pagoda_test_defs(${_t})
  endforeach()
  target_compile_definitions(test_server_e2e PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
  add_dependencies(test_server_e2e pagoda-cli)
  target_compile_definitions(test_server_attacks PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
  add_dependencies(test_server_attacks pagoda-cli)
  target_compile_definitions(test_server_clients PRIVATE
    PAGODA_OPENAI_CLIENT_DIR="${CMAKE_CURRENT_LIST_DIR}/openai-client")

  add_test(NAME server COMMAND test_server)
  add_test(NAME server_fuzz COMMAND test_server_fuzz)
  add_test(NAME server_load COMMAND test_server_load)
  add_test(NAME server_clients COMMAND test_server_clients)
  add_test(NAME server_e2e COMMAND test_server_e2e)
  add_test(NAME server_security COMMAND test_server_security)
  # Every attack of issue 15 against `pagoda-cli serve` on loopback (about 40 s).
  add_test(NAME server_attacks COMMAND test_server_attacks)
  set_tests_properties(server server_fuzz server_load server_clients server_e2e server_security
                       server_attacks
                       PROPERTIES LABELS "fast" TIMEOUT 300)
  # It measures a normal client's latency during each attack: alone, not beside other tests.
  set_tests_properties(server_attacks PROPERTIES RUN_SERIAL TRUE)
endif()

# Tools and reasoning: scripted model outputs through real templates, and the openai npm client
# (openai-client/tools.mjs).
if(_server_ready AND TARGET pagoda_server)
  pagoda_add_server_test(test_server_tools server_tools)
endif()
