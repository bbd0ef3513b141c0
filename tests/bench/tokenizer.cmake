# Encoding speed of every fixture tokenizer (prints MB/s; not a test).
add_executable(bench_tokenizer ${CMAKE_CURRENT_LIST_DIR}/bench_tokenizer.cpp)
target_link_libraries(bench_tokenizer PRIVATE pagoda_tokenizer)
pagoda_test_defs(bench_tokenizer)
