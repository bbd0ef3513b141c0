# Hub client, download queue and the fake hub (issue 6). Everything runs against
# pagoda-fake-hub on 127.0.0.1: no network access.
if(TARGET pagoda_hub)
  find_package(GTest REQUIRED)
  find_package(OpenSSL REQUIRED)
  set(_hub_dir ${CMAKE_CURRENT_LIST_DIR})

  add_library(pagoda_fake_hub STATIC ${_hub_dir}/fake_hub/fake_hub.cpp ${_hub_dir}/fake_hub/fake_files.cpp
            ${_hub_dir}/fake_hub/recording_proxy.cpp)
  target_link_libraries(pagoda_fake_hub PUBLIC pagoda_hub pagoda::httplib nlohmann_json::nlohmann_json
                        OpenSSL::SSL OpenSSL::Crypto)

  add_executable(pagoda-fake-hub ${_hub_dir}/fake_hub/main.cpp)
  target_link_libraries(pagoda-fake-hub PRIVATE pagoda_fake_hub CLI11::CLI11)

  # The child process that test_hub_kill kills and restarts: the same resolve_model path as
  # `pagoda-cli download`, without the rest of the CLI.
  add_executable(test_hub_driver ${_hub_dir}/test_hub_driver.cpp)
  target_link_libraries(test_hub_driver PRIVATE pagoda_hub)

  foreach(_t test_hub_unit test_hub_client test_hub_download test_hub_kill)
    if(NOT EXISTS ${_hub_dir}/${_t}.cpp)
      continue()
    endif()
    add_executable(${_t} ${_hub_dir}/${_t}.cpp)
    target_link_libraries(${_t} PRIVATE pagoda_fake_hub GTest::gtest_main)
    pagoda_test_defs(${_t})
    add_test(NAME ${_t} COMMAND ${_t})
  endforeach()
  foreach(_t test_hub_unit test_hub_client test_hub_download)
    if(TARGET ${_t})
      set_tests_properties(${_t} PROPERTIES LABELS "fast")
    endif()
  endforeach()
  if(TARGET test_hub_kill)
    target_compile_definitions(test_hub_kill PRIVATE HUB_DRIVER="$<TARGET_FILE:test_hub_driver>")
    add_dependencies(test_hub_kill test_hub_driver)
    set_tests_properties(test_hub_kill PROPERTIES LABELS "fast" TIMEOUT 300)
  endif()
endif()
