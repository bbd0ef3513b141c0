# The Debian package of the desktop app (CPack DEB). `./dev.sh package` configures a build with
# -DCMAKE_INSTALL_PREFIX=/usr, builds it and runs `cpack -G DEB`; see docs/packaging.md.
#
# One package per distribution release: it is built on the release it is for (Debian 12 or
# Ubuntu 24.04), because the binaries link the sonames of the build system (utf8proc is 2 on
# Debian 12 and 3 on Ubuntu 24.04). The declared lists below name both releases' packages
# ("a | a-t64": Ubuntu 24.04 renamed many libraries with a t64 suffix), so one list serves both;
# at package time deb-cpack.cmake replaces each linked library's entry by dpkg-shlibdeps' exact
# one for the build release and fails if a library the binaries link is not declared here.
if(NOT PAGODA_GUI)
  return()
endif()
include(GNUInstallDirs)

# Libraries the binaries link.
set(PAGODA_DEB_LINKED
  "libc6" "libgcc-s1" "libstdc++6"
  "libqt6core6 (>= 6.4) | libqt6core6t64 (>= 6.4)"
  "libqt6gui6 (>= 6.4) | libqt6gui6t64 (>= 6.4)"
  "libqt6widgets6 (>= 6.4) | libqt6widgets6t64 (>= 6.4)"
  "libqt6network6 (>= 6.4) | libqt6network6t64 (>= 6.4)"
  "libqt6sql6 (>= 6.4) | libqt6sql6t64 (>= 6.4)"
  "libqt6charts6 (>= 6.4)"                          # the Dashboard (Qt Charts)
  "libqt6keychain1 | libqt6keychain1t64"            # API keys in the system keychain
  "libsentencepiece0"                               # tokenizer.model
  "libpcre2-8-0"                                    # pre-tokenizer regexes
  "libutf8proc2 | libutf8proc3"                     # tokenizer normalization
  "libopenblas0 | libopenblas0-pthread"             # the CPU backend
  "libxxhash0"                                      # prefix cache hashes
  "libssl3 | libssl3t64"                            # TLS, sha256 of downloads
  "libcurl4 | libcurl4t64"                          # the hub client
  "libmicrohttpd12 | libmicrohttpd12t64")           # the API server
# Loaded at run time (Qt plugins), so dpkg-shlibdeps cannot see them.
set(PAGODA_DEB_RUNTIME
  "libqt6svg6 (>= 6.4)"                             # SVG icon engine: every icon is an SVG
  "libqt6sql6-sqlite (>= 6.4)"                      # the chat history
  "qt6-translations-l10n (>= 6.4)")                 # Qt's own menus and dialogs in Chinese
set(PAGODA_DEB_RECOMMENDS
  "qt6-wayland"                                     # native Wayland windows (else XWayland)
  "qt6-translations-l10n"                           # Qt's own dialogs in Chinese
  "fonts-noto-cjk")                                 # Chinese text
set(PAGODA_DEB_SUGGESTS)
if(PAGODA_HAVE_CUDA)
  # The CUDA plugin links cuBLAS and opens the driver; without them the CPU backend runs.
  set(_cu ${CUDAToolkit_VERSION_MAJOR})
  list(APPEND PAGODA_DEB_RECOMMENDS "libcublas${_cu} | libcublas-${_cu}-${CUDAToolkit_VERSION_MINOR}")
  list(APPEND PAGODA_DEB_SUGGESTS "libcuda1 | nvidia-driver-libs")
endif()

# The release the package is built on: version suffix and changelog suite.
set(_os)
if(EXISTS /etc/os-release)
  file(STRINGS /etc/os-release _os REGEX "^(ID|VERSION_ID|VERSION_CODENAME)=")
endif()
set(_os_ID unknown)
set(_os_VERSION_ID "")
set(_os_VERSION_CODENAME unstable)
foreach(_line ${_os})
  string(REGEX REPLACE "^([A-Z_]+)=\"?([^\"]*)\"?$" "\\1;\\2" _kv "${_line}")
  list(GET _kv 0 _k)
  list(GET _kv 1 _v)
  set(_os_${_k} "${_v}")
endforeach()
if(_os_ID STREQUAL "debian")
  set(_tag "deb${_os_VERSION_ID}")
else()
  set(_tag "${_os_ID}${_os_VERSION_ID}")
endif()
set(PAGODA_DEB_VERSION "${PROJECT_VERSION}-1~${_tag}")
set(PAGODA_DEB_SUITE "${_os_VERSION_CODENAME}")
set(PAGODA_DEB_MAINTAINER "Pagoda maintainers <maintainers@pagoda-app.invalid>" CACHE STRING
    "Maintainer field of the Debian package")

# /usr/share/doc/pagoda: copyright and changelog.Debian.gz (gzip -9n, as Debian policy wants).
set(_doc ${CMAKE_BINARY_DIR}/packaging/doc)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${_doc}/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${_doc}/changelog.Debian.gz
  COMMAND gzip -9nkf ${_doc}/changelog.Debian
  DEPENDS ${_doc}/changelog.Debian VERBATIM)
add_custom_target(pagoda_deb_docs ALL DEPENDS ${_doc}/changelog.Debian.gz)
add_dependencies(pagoda pagoda_deb_docs)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${_doc}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pagoda)

# The binaries deb-cpack.cmake runs dpkg-shlibdeps on: "main" ones for Depends, the CUDA plugin
# for Recommends.
set(_bins "main $<TARGET_FILE:pagoda>\nmain $<TARGET_FILE:pagoda-cli>\n")
if(TARGET pagoda_cuda)
  string(APPEND _bins "plugin $<TARGET_FILE:pagoda_cuda>\n")
endif()
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/deb-binaries.txt CONTENT "${_bins}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pagoda)
set(CPACK_PACKAGE_VENDOR "Pagoda contributors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${PAGODA_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PAGODA_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE "1~${_tag}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run open large language models privately on your computer")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Pagoda runs open large language models (Qwen, Llama, Mistral, ...) on your own\n"
    "NVIDIA GPU or on the CPU, in one desktop app: chat, a model library with\n"
    "resumable downloads from ModelScope or Hugging Face, and an OpenAI-compatible\n"
    "API server on localhost. pagoda-cli runs the same engine without Qt.\n"
    "The demo-chat model is included, so the app answers simple questions at once.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
string(JOIN ", " CPACK_DEBIAN_PACKAGE_DEPENDS ${PAGODA_DEB_LINKED} ${PAGODA_DEB_RUNTIME})
string(JOIN ", " CPACK_DEBIAN_PACKAGE_RECOMMENDS ${PAGODA_DEB_RECOMMENDS})
string(JOIN ", " CPACK_DEBIAN_PACKAGE_SUGGESTS ${PAGODA_DEB_SUGGESTS})
# dpkg-shlibdeps runs in deb-cpack.cmake on the binaries only (not on the CUDA plugin, whose
# libraries are recommendations).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_PAGODA_BINARIES_FILE ${CMAKE_BINARY_DIR}/packaging/deb-binaries.txt)
string(JOIN ", " CPACK_PAGODA_RUNTIME_DEPENDS ${PAGODA_DEB_RUNTIME})
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/packaging/deb-cpack.cmake)
include(CPack)
