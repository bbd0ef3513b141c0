# pagoda-bench: CUDA backend throughput and latency on random weights (a program, not a test);
# --engine runs the offline workload through the whole engine (hence pagoda_engine).
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  add_executable(pagoda-bench ${CMAKE_CURRENT_LIST_DIR}/pagoda_bench.cpp)
  target_link_libraries(pagoda-bench PRIVATE pagoda_cuda pagoda_model pagoda_engine)
endif()
