# `cpack -G DEB` from the build folder makes a Debian package of the desktop app. Its runtime
# dependencies, by package name (Debian 12): the Qt modules the app links (Charts for the
# Dashboard) and the plugins it loads (SQLite driver, SVG icons), and the libraries of
# engine/ and app/. NVML (libnvidia-ml.so.1) is not among them: it is opened at run time when an
# NVIDIA driver is installed.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pagoda)
set(CPACK_PACKAGE_CONTACT "Pagoda developers")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libqt6core6, libqt6gui6, libqt6widgets6, libqt6network6, libqt6sql6-sqlite, libqt6charts6, libqt6opengl6, libqt6svg6, libqt6keychain1, libsentencepiece0, libpcre2-8-0, libxxhash0, libopenblas0, libcpp-httplib0.11, libssl3, libcurl4, libmicrohttpd12")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-noto-cjk")
include(CPack)
