# The Dashboard (offscreen) with the fake NVML library and a fake engine stats source, and
# against the project's own server's /metrics.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets Charts)
add_executable(test_ui_dashboard ${CMAKE_CURRENT_LIST_DIR}/test_ui_dashboard.cpp
               ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
set_target_properties(test_ui_dashboard PROPERTIES AUTOMOC ON)
target_link_libraries(test_ui_dashboard PRIVATE pagoda_ui pagoda_server pagoda::httplib Qt6::Test Qt6::Charts
                      ${CMAKE_DL_LIBS})
target_compile_definitions(test_ui_dashboard PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
add_dependencies(test_ui_dashboard pagoda_fake_nvml)
pagoda_test_defs(test_ui_dashboard)
add_test(NAME test_ui_dashboard COMMAND test_ui_dashboard)
# RUN_SERIAL: its GUI-stall check measures the GUI thread's CPU time per stretch of work, which
# another test on the same two cores inflates (61 ms under ctest -j2 against 19-21 ms alone).
set_tests_properties(test_ui_dashboard PROPERTIES LABELS "gui" TIMEOUT 240 RUN_SERIAL TRUE
                     ENVIRONMENT "QT_QPA_PLATFORM=offscreen")

# The chat's live tok/s and context line and the per-reply stats (demo-chat on the CPU).
add_executable(test_ui_chat_stats ${CMAKE_CURRENT_LIST_DIR}/test_ui_chat_stats.cpp
               ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
set_target_properties(test_ui_chat_stats PROPERTIES AUTOMOC ON)
target_link_libraries(test_ui_chat_stats PRIVATE pagoda_ui pagoda_test_fake_openai Qt6::Test Qt6::Sql)
pagoda_test_defs(test_ui_chat_stats)
add_test(NAME test_ui_chat_stats COMMAND test_ui_chat_stats)
set_tests_properties(test_ui_chat_stats PROPERTIES LABELS "gui" TIMEOUT 240
                     ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
