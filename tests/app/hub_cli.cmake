# pagoda-cli accepts a hub id wherever it takes a model folder: generate downloads it from the
# fake hub into the library first, then answers; a second run uses the library copy.
if(TARGET pagoda-fake-hub AND TARGET pagoda-cli)
  add_test(NAME cli_model_from_hub
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_model_from_hub.sh
                   $<TARGET_FILE:pagoda-cli> $<TARGET_FILE:pagoda-fake-hub>
                   ${PAGODA_TEST_DATA}/models/demo-chat ${PAGODA_TEST_DATA}/golden/chat-demo.jsonl)
  set_tests_properties(cli_model_from_hub PROPERTIES LABELS "fast" TIMEOUT 300)
endif()

# download / list / rm run as a user would, against the fake hub's signed CDN redirect.
if(TARGET pagoda-fake-hub AND TARGET pagoda-cli)
  add_test(NAME cli_library
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_cli_library.sh
                   $<TARGET_FILE:pagoda-cli> $<TARGET_FILE:pagoda-fake-hub> ${PAGODA_TEST_DATA}/models)
  set_tests_properties(cli_library PROPERTIES LABELS "fast" TIMEOUT 300)
endif()
