# The layout audit (every page, two window sizes, two languages) and the untranslated-text walk:
# both need the fake hub, so that Discover and Downloads have something to show.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
if(TARGET pagoda_fake_hub)
  add_library(pagoda_layout_audit STATIC ${CMAKE_CURRENT_LIST_DIR}/layout_audit.cpp
              ${CMAKE_CURRENT_LIST_DIR}/layout_audit.h)
  target_link_libraries(pagoda_layout_audit PUBLIC Qt6::Widgets)
  foreach(_t test_ui_layout test_ui_translation)
    add_executable(${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.cpp
                   ${CMAKE_CURRENT_LIST_DIR}/populated_app.h ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
    set_target_properties(${_t} PROPERTIES AUTOMOC ON)
    target_link_libraries(${_t} PRIVATE pagoda_ui pagoda_fake_hub pagoda_layout_audit Qt6::Test)
    pagoda_test_defs(${_t})
    add_test(NAME ${_t} COMMAND ${_t})
    set_tests_properties(${_t} PROPERTIES LABELS "gui" TIMEOUT 300
                         ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
  endforeach()
endif()

# Keys without a keychain, the served model, context length, confirmations, import, theme.
find_package(Qt6 6.4 REQUIRED COMPONENTS Network)
add_executable(test_ui_keys_and_settings ${CMAKE_CURRENT_LIST_DIR}/test_ui_keys_and_settings.cpp
               ${CMAKE_CURRENT_LIST_DIR}/ui_test_harness.h)
set_target_properties(test_ui_keys_and_settings PROPERTIES AUTOMOC ON)
target_link_libraries(test_ui_keys_and_settings PRIVATE pagoda_ui Qt6::Test Qt6::Network)
pagoda_test_defs(test_ui_keys_and_settings)
add_test(NAME test_ui_keys_and_settings COMMAND test_ui_keys_and_settings)
set_tests_properties(test_ui_keys_and_settings PROPERTIES LABELS "gui" TIMEOUT 240
                     ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
