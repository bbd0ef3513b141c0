# Tokenizers: goldens from Hugging Face tokenizers / SentencePiece, model-folder special tokens,
# streaming detokenization, a randomized fuzz test, and the `pagoda-cli tokenize` contract.
find_package(GTest REQUIRED)

add_executable(test_tokenizer ${CMAKE_CURRENT_LIST_DIR}/test_tokenizer.cpp)
target_link_libraries(test_tokenizer PRIVATE pagoda_tokenizer GTest::gtest_main)
pagoda_test_defs(test_tokenizer)
add_test(NAME tokenizer COMMAND test_tokenizer)

add_executable(test_tokenizer_fuzz ${CMAKE_CURRENT_LIST_DIR}/test_tokenizer_fuzz.cpp)
target_link_libraries(test_tokenizer_fuzz PRIVATE pagoda_tokenizer pagoda::sentencepiece GTest::gtest_main)
pagoda_test_defs(test_tokenizer_fuzz)
add_test(NAME tokenizer_fuzz COMMAND test_tokenizer_fuzz)
# Each tokenizer gets a time budget inside the test; this is the hang guard.
set_tests_properties(tokenizer_fuzz PROPERTIES TIMEOUT 300)

add_executable(test_tokenizer_cli ${CMAKE_CURRENT_LIST_DIR}/test_tokenizer_cli.cpp)
target_link_libraries(test_tokenizer_cli PRIVATE pagoda_util GTest::gtest_main)
pagoda_test_defs(test_tokenizer_cli)
target_compile_definitions(test_tokenizer_cli PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
add_dependencies(test_tokenizer_cli pagoda-cli)
add_test(NAME tokenizer_cli COMMAND test_tokenizer_cli)

set_tests_properties(tokenizer tokenizer_fuzz tokenizer_cli PROPERTIES LABELS "fast")

# The Unicode normalizers (libutf8proc) against Python's unicodedata, generated at test time.
add_executable(test_unicode ${CMAKE_CURRENT_LIST_DIR}/test_unicode.cpp)
target_link_libraries(test_unicode PRIVATE pagoda_tokenizer GTest::gtest_main)
pagoda_test_defs(test_unicode)
add_test(NAME unicode COMMAND test_unicode)
set_tests_properties(unicode PROPERTIES LABELS "fast" TIMEOUT 300)
