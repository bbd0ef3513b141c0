# The Discover and Downloads pages against the fake hub (tests/app/fake_hub) on 127.0.0.1.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
if(TARGET pagoda_fake_hub)
  pagoda_add_gui_test(test_ui_hub LIBS pagoda_fake_hub TIMEOUT 300)
endif()
# The screenshot tool (tests/ui/ui.cmake, included after this file) shows Discover and Downloads
# against the fake hub too.
cmake_language(DEFER CALL target_link_libraries pagoda_screenshots PRIVATE pagoda_fake_hub)
