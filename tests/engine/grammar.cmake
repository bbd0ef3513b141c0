# Constrained decoding: regex, JSON schema and choice grammars, token masks over real
# vocabularies (checked token by token), the matcher's EOS rules, refused keywords.
find_package(GTest REQUIRED)
pagoda_add_test(test_grammar NAME grammar LIBS pagoda_grammar GTest::gtest_main LABELS fast DATA)
set_tests_properties(grammar PROPERTIES TIMEOUT 120)

# The proof on random-weight models: 100 seeds x every case of structured_cases.json, validated
# by python3-jsonschema (an independent validator). tiny-yi-spm: SentencePiece with byte fallback
# (2000 tokens); tiny-qwen2: byte-level BPE with the real 152K Qwen vocabulary.
if(TARGET pagoda_engine)
  add_executable(structured_samples ${CMAKE_CURRENT_LIST_DIR}/structured_samples.cpp)
  target_link_libraries(structured_samples PRIVATE pagoda_engine)
  foreach(_model tiny-yi-spm tiny-qwen2)
    add_test(NAME structured_output_${_model}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_structured_output.py
                     $<TARGET_FILE:structured_samples> ${PAGODA_TEST_DATA}/models/${_model}
                     ${CMAKE_CURRENT_LIST_DIR}/structured_cases.json 100 400)
    set_tests_properties(structured_output_${_model} PROPERTIES LABELS fast TIMEOUT 600)
  endforeach()
endif()
