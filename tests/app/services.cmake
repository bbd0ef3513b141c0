# Services of the desktop app (chat history, settings, model library, remote endpoints).
if(PAGODA_GUI)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Test Network)
  add_library(pagoda_test_fake_openai STATIC
    ${CMAKE_CURRENT_LIST_DIR}/test_services_fake_openai.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_services_fake_openai.h)
  set_target_properties(pagoda_test_fake_openai PROPERTIES AUTOMOC ON)
  target_link_libraries(pagoda_test_fake_openai PUBLIC Qt6::Network)

  add_executable(test_services_crash_helper ${CMAKE_CURRENT_LIST_DIR}/test_services_crash_helper.cpp)
  target_link_libraries(test_services_crash_helper PRIVATE pagoda_services pagoda_test_fake_openai)

  add_executable(test_services ${CMAKE_CURRENT_LIST_DIR}/test_services.cpp)
  set_target_properties(test_services PROPERTIES AUTOMOC ON)
  target_link_libraries(test_services PRIVATE pagoda_services pagoda_test_fake_openai Qt6::Test)
  target_compile_definitions(test_services PRIVATE
    CRASH_HELPER="$<TARGET_FILE:test_services_crash_helper>")
  add_dependencies(test_services test_services_crash_helper)
  pagoda_test_defs(test_services)
  add_test(NAME test_services COMMAND test_services)
  set_tests_properties(test_services PROPERTIES LABELS "fast" ENVIRONMENT "QT_QPA_PLATFORM=offscreen")

  add_executable(test_background_tasks ${CMAKE_CURRENT_LIST_DIR}/test_background_tasks.cpp)
  set_target_properties(test_background_tasks PROPERTIES AUTOMOC ON)
  target_link_libraries(test_background_tasks PRIVATE pagoda_services_store Qt6::Test)
  add_test(NAME test_background_tasks COMMAND test_background_tasks)
  set_tests_properties(test_background_tasks PROPERTIES LABELS "fast")
endif()

# The one request front end: the CLI, the server and EngineService give the same token ids.
if(PAGODA_GUI AND TARGET pagoda-cli AND TARGET pagoda_server)
  add_executable(test_front_end ${CMAKE_CURRENT_LIST_DIR}/test_front_end.cpp)
  set_target_properties(test_front_end PROPERTIES AUTOMOC ON)
  target_link_libraries(test_front_end PRIVATE pagoda_services pagoda_engine Qt6::Network Qt6::Test)
  target_compile_definitions(test_front_end PRIVATE PAGODA_CLI="$<TARGET_FILE:pagoda-cli>")
  add_dependencies(test_front_end pagoda-cli)
  pagoda_test_defs(test_front_end)
  add_test(NAME front_end COMMAND test_front_end)
  set_tests_properties(front_end PROPERTIES LABELS "fast" TIMEOUT 300
                       ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endif()
