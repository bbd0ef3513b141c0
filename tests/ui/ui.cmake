# Widget tests of the desktop app (offscreen), and the screenshot tool.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
foreach(_t test_ui_shell test_ui_chat test_ui_chat_layout)
  pagoda_add_gui_test(${_t} LIBS pagoda_test_fake_openai)
  target_compile_definitions(${_t} PRIVATE PAGODA_VERSION="${PAGODA_VERSION}"
                             PAGODA_APP="$<TARGET_FILE:pagoda>")
endforeach()
add_dependencies(test_ui_shell pagoda)
# RUN_SERIAL: its GUI-stall check measures wall-clock event-loop gaps while a reply streams, which
# another test on the same two cores stretches (53 ms once under a fresh clone's ctest -j2
# against the 50 ms bound, with a 15 ms idle baseline measured before the load came; passes alone).
set_tests_properties(test_ui_chat PROPERTIES RUN_SERIAL TRUE)
# The welcome's GPU line reads the fake NVML (tests/app/telemetry.cmake).
target_compile_definitions(test_ui_chat_layout PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
target_link_libraries(test_ui_chat_layout PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(test_ui_chat_layout pagoda_fake_nvml)
set_tests_properties(test_ui_chat_layout PROPERTIES TIMEOUT 300)

# Not a test: renders every page to docs/screenshots (tests/ui/take-screenshots.sh runs it).
add_executable(pagoda_screenshots ${CMAKE_CURRENT_LIST_DIR}/take_screenshots.cpp)
target_link_libraries(pagoda_screenshots PRIVATE pagoda_ui pagoda_test_fake_openai ${CMAKE_DL_LIBS})
pagoda_test_defs(pagoda_screenshots)
# The Dashboard shot uses the fake NVML (tests/app/telemetry.cmake) as its GPU driver.
target_compile_definitions(pagoda_screenshots PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
add_dependencies(pagoda_screenshots pagoda_fake_nvml)

# Not a test: the chat page and the first-run welcome at 1024x700 and 1600x1000 (en, zh_CN).
add_executable(pagoda_chat_screenshots ${CMAKE_CURRENT_LIST_DIR}/take_chat_screenshots.cpp)
target_link_libraries(pagoda_chat_screenshots PRIVATE pagoda_ui ${CMAKE_DL_LIBS})
pagoda_test_defs(pagoda_chat_screenshots)
target_compile_definitions(pagoda_chat_screenshots PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
add_dependencies(pagoda_chat_screenshots pagoda_fake_nvml)
