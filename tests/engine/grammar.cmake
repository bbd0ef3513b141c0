# Constrained decoding: regex, JSON schema and choice grammars, token masks over real
# vocabularies (checked token by token), the matcher's EOS rules, refused keywords.
find_package(GTest REQUIRED)
pagoda_add_test(test_grammar NAME grammar LIBS pagoda_grammar GTest::gtest_main LABELS fast DATA)
set_tests_properties(grammar PROPERTIES TIMEOUT 120)
# Every mask (trie walk, shared per prefix class, per-state cache) against every token's bytes
# run through the DFA, along random outputs of several schemas and regexes.
pagoda_add_test(test_grammar_masks NAME grammar_masks LIBS pagoda_grammar GTest::gtest_main
                LABELS fast DATA)
set_tests_properties(grammar_masks PROPERTIES TIMEOUT 300)

# The proof on random-weight models: every case of structured_cases.json for many seeds,
# validated by python3-jsonschema (an independent validator). tiny-yi-spm: SentencePiece with
# byte fallback (2000 tokens), 100 seeds; tiny-qwen2: byte-level BPE with the real 152K Qwen
# vocabulary, 20 seeds in the fast set and 100 in the slow one (minutes on 2 cores).
if(TARGET pagoda_engine)
  add_executable(structured_samples ${CMAKE_CURRENT_LIST_DIR}/structured_samples.cpp)
  target_link_libraries(structured_samples PRIVATE pagoda_engine)
  foreach(_run "tiny-yi-spm;100;fast" "tiny-qwen2;20;fast" "tiny-qwen2;100;slow")
    list(GET _run 0 _model)
    list(GET _run 1 _seeds)
    list(GET _run 2 _label)
    set(_name structured_output_${_model}_${_seeds})
    add_test(NAME ${_name}
             COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_structured_output.py
                     $<TARGET_FILE:structured_samples> ${PAGODA_TEST_DATA}/models/${_model}
                     ${CMAKE_CURRENT_LIST_DIR}/structured_cases.json ${_seeds} 400)
    set_tests_properties(${_name} PROPERTIES LABELS ${_label} TIMEOUT 900)
  endforeach()
endif()
