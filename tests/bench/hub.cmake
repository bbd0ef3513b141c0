# Download throughput from the fake hub on loopback (prints numbers; not a test).
if(TARGET pagoda_fake_hub)
  add_executable(bench_hub ${CMAKE_CURRENT_LIST_DIR}/bench_hub.cpp)
  target_link_libraries(bench_hub PRIVATE pagoda_fake_hub)
  target_compile_definitions(bench_hub PRIVATE HUB_BENCH_NEW)
endif()
