# Schema upgrades of the chat database (app/services/chat_store_migration.cpp).
if(PAGODA_GUI)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Test Sql)
  add_executable(test_chat_store_migration ${CMAKE_CURRENT_LIST_DIR}/test_chat_store_migration.cpp)
  set_target_properties(test_chat_store_migration PROPERTIES AUTOMOC ON)
  target_link_libraries(test_chat_store_migration PRIVATE pagoda_services_store Qt6::Test Qt6::Sql)
  add_test(NAME test_chat_store_migration COMMAND test_chat_store_migration)
  set_tests_properties(test_chat_store_migration PROPERTIES LABELS "fast" TIMEOUT 60)
endif()
