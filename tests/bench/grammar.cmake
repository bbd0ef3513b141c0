# bench_grammar: the per-token mask cost over the 152K Qwen vocabulary and the throughput of
# schema-constrained against unconstrained requests (a program that prints numbers, not a test).
# In a CUDA build, --shape runs pagoda-bench's random-weight shapes on the GPU.
add_executable(bench_grammar ${CMAKE_CURRENT_LIST_DIR}/bench_grammar.cpp)
target_link_libraries(bench_grammar PRIVATE pagoda_engine)
pagoda_test_defs(bench_grammar)
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  target_link_libraries(bench_grammar PRIVATE pagoda_cuda)
  target_compile_definitions(bench_grammar PRIVATE PAGODA_BENCH_CUDA)
endif()
