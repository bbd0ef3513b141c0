# Chat templates: the Jinja interpreter on its own (features, errors, limits, fuzz), the model
# templates against transformers' goldens, and the `pagoda-cli render-template` contract.
find_package(GTest REQUIRED)

pagoda_add_test(test_jinja NAME jinja LIBS pagoda_jinja GTest::gtest_main LABELS fast DATA)
pagoda_add_test(test_jinja_fuzz NAME jinja_fuzz LIBS pagoda_chat GTest::gtest_main LABELS fast DATA)
# The fuzz test has its own time budget; this is the hang guard.
set_tests_properties(jinja_fuzz PROPERTIES TIMEOUT 120)
pagoda_add_test(test_chat_template NAME chat_template LIBS pagoda_chat GTest::gtest_main
                LABELS fast DATA)
pagoda_add_test(test_chat_template_cli NAME chat_template_cli LIBS pagoda_util GTest::gtest_main
                LABELS fast DATA CLI)

# The request front end: chat/prompt.h and SamplingParams::with_defaults / check().
pagoda_add_test(test_prompt NAME prompt LIBS pagoda_core GTest::gtest_main LABELS fast)

# Tool-call and reasoning parsers on recorded-style outputs of each family, streamed and fuzzed.
pagoda_add_test(test_tool_parser NAME tool_parser LIBS pagoda_chat GTest::gtest_main LABELS fast
                DATA)
set_tests_properties(tool_parser PROPERTIES TIMEOUT 120)
