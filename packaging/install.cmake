# Installed layout of the desktop app: the launcher entry, the icon and the bundled demo model
# (main.cpp looks for it in <prefix>/share/pagoda/models/demo-chat).
include(GNUInstallDirs)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/pagoda.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/pagoda.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models/demo-chat
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pagoda/models)
