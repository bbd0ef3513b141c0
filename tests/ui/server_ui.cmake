# The Server page end to end: the real OpenAI-compatible server behind the switch, over real HTTP.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets Network)
pagoda_add_gui_test(test_ui_server LIBS Qt6::Network)
