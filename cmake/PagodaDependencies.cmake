# All third-party code comes from Debian packages (or, on the GPU machine, the same packages
# unpacked under PAGODA_DEPS_PREFIX).
if(PAGODA_DEPS_PREFIX)
  set(_p ${PAGODA_DEPS_PREFIX}/usr)
  list(PREPEND CMAKE_PREFIX_PATH ${_p} ${_p}/lib/x86_64-linux-gnu/cmake ${_p}/share/cmake)
  set(ENV{PKG_CONFIG_PATH} "${_p}/lib/x86_64-linux-gnu/pkgconfig:${_p}/share/pkgconfig:$ENV{PKG_CONFIG_PATH}")
  include_directories(SYSTEM ${_p}/include)
  link_directories(${_p}/lib/x86_64-linux-gnu)
  set(CMAKE_BUILD_RPATH ${_p}/lib/x86_64-linux-gnu)
endif()

find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
# Plain find_path/find_library (not pkg-config): the .pc files of unpacked packages point at /usr.
function(pagoda_find_lib target header lib)
  find_path(_inc_${target} ${header} PATH_SUFFIXES openblas openblas-pthread)
  find_library(_lib_${target} NAMES ${lib} PATH_SUFFIXES openblas-pthread)
  if(NOT _inc_${target} OR NOT _lib_${target})
    message(FATAL_ERROR "${header} / lib${lib} not found (see README: apt-get install ...)")
  endif()
  add_library(pagoda::${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(pagoda::${target} PROPERTIES IMPORTED_LOCATION ${_lib_${target}}
                        INTERFACE_INCLUDE_DIRECTORIES ${_inc_${target}})
endfunction()
pagoda_find_lib(pcre2 pcre2.h pcre2-8)
pagoda_find_lib(sentencepiece sentencepiece_processor.h sentencepiece)
pagoda_find_lib(xxhash xxhash.h xxhash)
# utf8proc: the Unicode normalizers (NFC, NFD, NFKC, NFKD) and case mappings of the tokenizers.
pagoda_find_lib(utf8proc utf8proc.h utf8proc)
pagoda_find_lib(httplib httplib.h cpp-httplib)
pagoda_find_lib(blas cblas.h openblas)
# libcurl: the hub client (redirects, proxies, TLS, HTTP/2). libmicrohttpd: the API server.
pagoda_find_lib(curl curl/curl.h curl)
pagoda_find_lib(microhttpd microhttpd.h microhttpd)
# Debian's cpp-httplib is built with these; its header must see the same switches.
set_property(TARGET pagoda::httplib PROPERTY INTERFACE_COMPILE_DEFINITIONS
             CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT)
set_property(TARGET pagoda::httplib PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)

if(PAGODA_GUI)
  # Charts (the Dashboard) is found only with the Qt OpenGL development files installed
  # (qt6-charts-dev and libqt6opengl6-dev, both in dev.sh).
  find_package(Qt6 6.4 COMPONENTS Core Gui Widgets Network Sql Charts Test LinguistTools)
  find_package(Qt6Keychain)
  if(NOT Qt6_FOUND OR NOT Qt6Keychain_FOUND)
    message(WARNING "Qt 6 (Core Gui Widgets Network Sql Charts Test LinguistTools) or QtKeychain "
                    "not found: building the headless tools only. Install the packages in dev.sh "
                    "(qt6-charts-dev needs libqt6opengl6-dev).")
    set(PAGODA_GUI OFF)
  endif()
endif()

set(PAGODA_HAVE_CUDA OFF)
if(NOT PAGODA_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Releases build every supported GPU; CI passes one architecture to stay fast.
      set(CMAKE_CUDA_ARCHITECTURES 80 86 89 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(PAGODA_HAVE_CUDA ON)
  elseif(PAGODA_CUDA STREQUAL "ON")
    message(FATAL_ERROR "PAGODA_CUDA=ON but no CUDA compiler was found")
  endif()
endif()
message(STATUS "Pagoda: GUI=${PAGODA_GUI} CUDA=${PAGODA_HAVE_CUDA}")
