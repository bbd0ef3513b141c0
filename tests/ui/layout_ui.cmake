# The layout audit (every page, two window sizes, two languages) and the untranslated-text walk:
# both need the fake hub, so that Discover and Downloads have something to show.
find_package(Qt6 6.4 REQUIRED COMPONENTS Test Widgets)
if(TARGET pagoda_fake_hub)
  add_library(pagoda_layout_audit STATIC ${CMAKE_CURRENT_LIST_DIR}/layout_audit.cpp
              ${CMAKE_CURRENT_LIST_DIR}/layout_audit.h)
  target_link_libraries(pagoda_layout_audit PUBLIC Qt6::Widgets)
  foreach(_t test_ui_layout test_ui_translation)
    pagoda_add_gui_test(${_t} LIBS pagoda_fake_hub pagoda_layout_audit TIMEOUT 300
                        SOURCES ${CMAKE_CURRENT_LIST_DIR}/populated_app.h)
  endforeach()
endif()

# Keys without a keychain, the served model, context length, confirmations, import, theme.
find_package(Qt6 6.4 REQUIRED COMPONENTS Network)
pagoda_add_gui_test(test_ui_keys_and_settings LIBS Qt6::Network TIMEOUT 240)
