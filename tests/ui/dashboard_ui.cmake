# The Dashboard (offscreen) with the fake NVML library and a fake engine stats source, and
# against the project's own server's /metrics.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets Charts)
pagoda_add_gui_test(test_ui_dashboard
                    LIBS pagoda_server pagoda::httplib Qt6::Charts ${CMAKE_DL_LIBS} TIMEOUT 240)
target_compile_definitions(test_ui_dashboard PRIVATE PAGODA_FAKE_NVML="${PAGODA_FAKE_NVML_PATH}")
add_dependencies(test_ui_dashboard pagoda_fake_nvml)
# RUN_SERIAL: its GUI-stall check measures the GUI thread's CPU time per stretch of work, which
# another test on the same two cores inflates (61 ms under ctest -j2 against 19-21 ms alone).
set_tests_properties(test_ui_dashboard PROPERTIES RUN_SERIAL TRUE)

# The chat's live tok/s and context line and the per-reply stats (demo-chat on the CPU).
pagoda_add_gui_test(test_ui_chat_stats LIBS pagoda_test_fake_openai Qt6::Sql TIMEOUT 240)
