# Server overhead: the same requests through HTTP and straight into the engine (demo-chat, CPU).
# A program that prints measured numbers, not a test.
if(TARGET pagoda_server_testing)
  add_executable(bench_server ${CMAKE_CURRENT_LIST_DIR}/server_bench.cpp)
  target_link_libraries(bench_server PRIVATE pagoda_server_testing)
  pagoda_test_defs(bench_server)
endif()
