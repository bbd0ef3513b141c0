# The Server page end to end: the real OpenAI-compatible server behind the switch, over real HTTP.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets Network)
add_executable(test_ui_server ${CMAKE_CURRENT_LIST_DIR}/test_ui_server.cpp
               ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
set_target_properties(test_ui_server PROPERTIES AUTOMOC ON)
target_link_libraries(test_ui_server PRIVATE pagoda_ui Qt6::Test Qt6::Network)
pagoda_test_defs(test_ui_server)
add_test(NAME test_ui_server COMMAND test_ui_server)
set_tests_properties(test_ui_server PROPERTIES LABELS "gui" ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
