# Constrained decoding: regex, JSON schema and choice grammars, token masks over real
# vocabularies (checked token by token), the matcher's EOS rules, refused keywords.
find_package(GTest REQUIRED)
pagoda_add_test(test_grammar NAME grammar LIBS pagoda_grammar GTest::gtest_main LABELS fast DATA)
set_tests_properties(grammar PROPERTIES TIMEOUT 120)
