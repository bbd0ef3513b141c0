# Tokenizers: goldens from Hugging Face tokenizers / SentencePiece, model-folder special tokens,
# streaming detokenization, a randomized fuzz test, and the `pagoda-cli tokenize` contract.
find_package(GTest REQUIRED)

pagoda_add_test(test_tokenizer NAME tokenizer LIBS pagoda_tokenizer GTest::gtest_main
                LABELS fast DATA)
pagoda_add_test(test_tokenizer_fuzz NAME tokenizer_fuzz
                LIBS pagoda_tokenizer pagoda::sentencepiece GTest::gtest_main LABELS fast DATA)
# Each tokenizer gets a time budget inside the test; this is the hang guard.
set_tests_properties(tokenizer_fuzz PROPERTIES TIMEOUT 300)
pagoda_add_test(test_tokenizer_cli NAME tokenizer_cli LIBS pagoda_util GTest::gtest_main
                LABELS fast DATA CLI)

# The Unicode normalizers (libutf8proc) against Python's unicodedata, generated at test time.
pagoda_add_test(test_unicode NAME unicode LIBS pagoda_tokenizer GTest::gtest_main LABELS fast DATA)
set_tests_properties(unicode PROPERTIES TIMEOUT 300)
