# The Discover and Downloads pages against the fake hub (tests/app/fake_hub) on 127.0.0.1.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
if(TARGET pagoda_fake_hub)
  pagoda_add_gui_test(test_ui_hub LIBS pagoda_fake_hub TIMEOUT 300)
  # RUN_SERIAL: its event-loop check measures wall-clock gaps between 10 ms ticks, which another
  # test on the same two cores stretches (400 ms once under a fresh clone's ctest -j2 against the
  # 250 ms bound; passes alone).
  set_tests_properties(test_ui_hub PROPERTIES RUN_SERIAL TRUE)
endif()
# The screenshot tool (tests/ui/ui.cmake, included after this file) shows Discover and Downloads
# against the fake hub too.
cmake_language(DEFER CALL target_link_libraries pagoda_screenshots PRIVATE pagoda_fake_hub)
