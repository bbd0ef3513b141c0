# Chat templates: the Jinja interpreter on its own (features, errors, limits, fuzz), the model
# templates against transformers' goldens, and the `pagoda-cli render-template` contract.
find_package(GTest REQUIRED)

add_executable(test_jinja ${CMAKE_CURRENT_LIST_DIR}/test_jinja.cpp)
target_link_libraries(test_jinja PRIVATE pagoda_jinja GTest::gtest_main)
pagoda_test_defs(test_jinja)
add_test(NAME jinja COMMAND test_jinja)

add_executable(test_jinja_fuzz ${CMAKE_CURRENT_LIST_DIR}/test_jinja_fuzz.cpp)
target_link_libraries(test_jinja_fuzz PRIVATE pagoda_chat GTest::gtest_main)
pagoda_test_defs(test_jinja_fuzz)
add_test(NAME jinja_fuzz COMMAND test_jinja_fuzz)
# The fuzz test has its own time budget; this is the hang guard.
set_tests_properties(jinja_fuzz PROPERTIES TIMEOUT 120)

add_executable(test_chat_template ${CMAKE_CURRENT_LIST_DIR}/test_chat_template.cpp)
target_link_libraries(test_chat_template PRIVATE pagoda_chat GTest::gtest_main)
pagoda_test_defs(test_chat_template)
add_test(NAME chat_template COMMAND test_chat_template)

add_executable(test_chat_template_cli ${CMAKE_CURRENT_LIST_DIR}/test_chat_template_cli.cpp)
target_link_libraries(test_chat_template_cli PRIVATE pagoda_util GTest::gtest_main)
pagoda_test_defs(test_chat_template_cli)
target_compile_definitions(test_chat_template_cli PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
add_dependencies(test_chat_template_cli pagoda-cli)
add_test(NAME chat_template_cli COMMAND test_chat_template_cli)

set_tests_properties(jinja jinja_fuzz chat_template chat_template_cli PROPERTIES LABELS "fast")

# The request front end: chat/prompt.h and SamplingParams::with_defaults / check().
add_executable(test_prompt ${CMAKE_CURRENT_LIST_DIR}/test_prompt.cpp)
target_link_libraries(test_prompt PRIVATE pagoda_core GTest::gtest_main)
add_test(NAME prompt COMMAND test_prompt)
set_tests_properties(prompt PROPERTIES LABELS "fast")
