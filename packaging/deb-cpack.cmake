# Run by cpack (CPACK_PROJECT_CONFIG_FILE) before it writes the control file. dpkg-shlibdeps
# names the packages of every library the binaries link, with the versions of the build release:
#  - each one must be declared in deb.cmake (else cpack fails here: a library linked by a new
#    branch would otherwise ship undeclared);
#  - its exact entry replaces the declared one (whose alternatives name both releases);
#  - the CUDA plugin's libraries must be among the recommendations.
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST) in cpack's script mode
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()

# "a (>= 1) | b" -> "a;b"
function(pagoda_relation_names relation out)
  string(REGEX REPLACE "\\([^)]*\\)" "" relation "${relation}")
  string(REPLACE "|" ";" relation "${relation}")
  set(names)
  foreach(n ${relation})
    string(STRIP "${n}" n)
    list(APPEND names "${n}")
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# "a (>= 1), b | c" -> list of relations
function(pagoda_split_relations field out)
  string(REPLACE ", " ";" field "${field}")
  set(${out} "${field}" PARENT_SCOPE)
endfunction()

# Extra arguments after `out` go to dpkg-shlibdeps.
function(pagoda_shlibdeps files out)
  set(work ${CPACK_PACKAGE_DIRECTORY}/_CPack_Packages/pagoda-shlibdeps)
  file(MAKE_DIRECTORY ${work}/debian)
  file(WRITE ${work}/debian/control "Source: pagoda\n\nPackage: pagoda\nArchitecture: any\n")
  set(args)
  foreach(f ${files})
    list(APPEND args "-e${f}")
  endforeach()
  execute_process(COMMAND dpkg-shlibdeps -O --warnings=0 ${ARGN} ${args} WORKING_DIRECTORY ${work}
                  OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-shlibdeps failed on ${files}: ${stderr}")
  endif()
  string(REGEX MATCH "shlibs:Depends=([^\n]*)" _ "${stdout}")
  pagoda_split_relations("${CMAKE_MATCH_1}" relations)
  set(${out} "${relations}" PARENT_SCOPE)
endfunction()

# The relation of `declared` that names one of the packages of `relation` ("" if none).
function(pagoda_find_declared relation declared out)
  pagoda_relation_names("${relation}" wanted)
  set(${out} "" PARENT_SCOPE)
  foreach(d ${declared})
    pagoda_relation_names("${d}" names)
    foreach(w ${wanted})
      if(w IN_LIST names)
        set(${out} "${d}" PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endforeach()
endfunction()

file(STRINGS ${CPACK_PAGODA_BINARIES_FILE} _lines)
set(_main)
set(_plugins)
foreach(_l ${_lines})
  string(REGEX MATCH "^(main|plugin) (.*)$" _ "${_l}")
  if(CMAKE_MATCH_1 STREQUAL "main")
    list(APPEND _main "${CMAKE_MATCH_2}")
  else()
    list(APPEND _plugins "${CMAKE_MATCH_2}")
  endif()
endforeach()

pagoda_split_relations("${CPACK_DEBIAN_PACKAGE_DEPENDS}" _declared)
pagoda_split_relations("${CPACK_PAGODA_RUNTIME_DEPENDS}" _runtime)
pagoda_shlibdeps("${_main}" _found)
set(_exact)
set(_missing)
foreach(_r ${_found})
  pagoda_find_declared("${_r}" "${_declared}" _d)
  if(_d STREQUAL "")
    list(APPEND _missing "${_r}")
  else()
    list(REMOVE_ITEM _declared "${_d}")
    list(APPEND _exact "${_r}")
  endif()
endforeach()
if(_missing)
  string(JOIN ", " _m ${_missing})
  message(FATAL_ERROR "The binaries link libraries that packaging/deb.cmake does not declare: "
                      "${_m}. Add them to PAGODA_DEB_LINKED (with their Ubuntu 24.04 name).")
endif()
# What is left: run-time plugins and libraries declared before they are linked.
set(_not_linked ${_declared})
list(REMOVE_ITEM _not_linked ${_runtime})
if(_not_linked)
  string(JOIN ", " _n ${_not_linked})
  message(STATUS "Declared though not linked by this build: ${_n}")
endif()
string(JOIN ", " CPACK_DEBIAN_PACKAGE_DEPENDS ${_exact} ${_declared})

if(_plugins)
  pagoda_split_relations("${CPACK_DEBIAN_PACKAGE_RECOMMENDS}" _recommended)
  # The CUDA runtime libraries may come from NVIDIA's installer rather than a package (then
  # dpkg-shlibdeps knows nothing of them): those are covered by the declared recommendations.
  pagoda_shlibdeps("${_plugins}" _plugin_libs --ignore-missing-info)
  foreach(_r ${_plugin_libs})
    pagoda_find_declared("${_r}" "${_exact};${_declared};${_recommended}" _d)
    if(_d STREQUAL "")
      message(FATAL_ERROR "The CUDA plugin links ${_r}, neither a dependency nor recommended "
                          "in packaging/deb.cmake")
    endif()
  endforeach()
endif()
message(STATUS "Depends: ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
