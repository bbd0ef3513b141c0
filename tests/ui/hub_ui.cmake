# The Discover and Downloads pages against the fake hub (tests/app/fake_hub) on 127.0.0.1.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
if(TARGET pagoda_fake_hub)
  add_executable(test_ui_hub ${CMAKE_CURRENT_LIST_DIR}/test_ui_hub.cpp
                 ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
  set_target_properties(test_ui_hub PROPERTIES AUTOMOC ON)
  target_link_libraries(test_ui_hub PRIVATE pagoda_ui pagoda_fake_hub Qt6::Test)
  pagoda_test_defs(test_ui_hub)
  add_test(NAME test_ui_hub COMMAND test_ui_hub)
  set_tests_properties(test_ui_hub PROPERTIES LABELS "gui" TIMEOUT 300
                       ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endif()
# The screenshot tool (tests/ui/ui.cmake, included after this file) shows Discover and Downloads
# against the fake hub too.
cmake_language(DEFER CALL target_link_libraries pagoda_screenshots PRIVATE pagoda_fake_hub)
