# The dashboard's Qt-free telemetry: the Prometheus reader, histogram percentiles, the recorder,
# NVML through a fake driver library (loaded by the same dlopen path), and the project's own
# server's /metrics page read back into chart series.
find_package(GTest REQUIRED)
add_library(pagoda_fake_nvml SHARED ${CMAKE_CURRENT_LIST_DIR}/fake_nvml.cpp)
set_target_properties(pagoda_fake_nvml PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
set(PAGODA_FAKE_NVML_PATH $<TARGET_FILE:pagoda_fake_nvml>)

if(TARGET pagoda_server)
  add_executable(test_telemetry ${CMAKE_CURRENT_LIST_DIR}/test_telemetry.cpp
                 ${CMAKE_CURRENT_LIST_DIR}/fake_nvml_control.h)
  target_link_libraries(test_telemetry PRIVATE pagoda::httplib pagoda_telemetry pagoda_server ${CMAKE_DL_LIBS}
                        GTest::gtest_main)
  target_compile_definitions(test_telemetry PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
  add_dependencies(test_telemetry pagoda_fake_nvml)
  pagoda_test_defs(test_telemetry)
  add_test(NAME telemetry COMMAND test_telemetry)
  set_tests_properties(telemetry PROPERTIES LABELS "fast" TIMEOUT 120)
endif()
