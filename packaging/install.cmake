# Installed layout of the desktop app (included from ui/CMakeLists.txt): the launcher entry, the
# AppStream metadata, the icon in the hicolor theme, the bundled demo model (main.cpp looks for
# it in <prefix>/share/pagoda/models/demo-chat) and the manual pages. The Debian package's own
# files: deb.cmake.
include(GNUInstallDirs)
set(PAGODA_APP_ID io.github.pagoda_app.Pagoda)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/${PAGODA_APP_ID}.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/${PAGODA_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/pagoda.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models/demo-chat
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pagoda/models)

# PNG icons at the hicolor theme's standard sizes, rendered from the SVG (librsvg2-bin).
find_program(PAGODA_RSVG_CONVERT rsvg-convert)
set(_icon_svg ${PROJECT_SOURCE_DIR}/resources/icons/pagoda.svg)
set(_icon_root ${CMAKE_BINARY_DIR}/packaging/icons/hicolor)
set(_pngs)
if(PAGODA_RSVG_CONVERT)
  foreach(_size 16 22 24 32 48 64 128 256 512)
    set(_png ${_icon_root}/${_size}x${_size}/apps/pagoda.png)
    add_custom_command(OUTPUT ${_png}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_icon_root}/${_size}x${_size}/apps
      COMMAND ${PAGODA_RSVG_CONVERT} -w ${_size} -h ${_size} -o ${_png} ${_icon_svg}
      DEPENDS ${_icon_svg} VERBATIM)
    list(APPEND _pngs ${_png})
    install(FILES ${_png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${_size}x${_size}/apps)
  endforeach()
else()
  message(WARNING "rsvg-convert not found (apt-get install librsvg2-bin): no PNG icons installed")
endif()

# Manual pages, gzip -9n as Debian policy wants.
set(_man ${CMAKE_BINARY_DIR}/packaging/man)
set(_man_gz)
foreach(_page pagoda pagoda-cli)
  add_custom_command(OUTPUT ${_man}/${_page}.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_man}
    COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/packaging/${_page}.1 ${_man}/${_page}.1
    COMMAND gzip -9nf ${_man}/${_page}.1
    DEPENDS ${PROJECT_SOURCE_DIR}/packaging/${_page}.1 VERBATIM)
  list(APPEND _man_gz ${_man}/${_page}.1.gz)
endforeach()
install(FILES ${_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

add_custom_target(pagoda_install_files ALL DEPENDS ${_pngs} ${_man_gz})
add_dependencies(pagoda pagoda_install_files)  # building the app builds all it installs

