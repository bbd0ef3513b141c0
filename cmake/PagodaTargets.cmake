# pagoda_engine_module(NAME [SOURCES ...] DEPS...): a static library from the given sources, or
# from every .cpp in the current folder. Helpers within a module add files freely; module
# dependencies are explicit.
function(pagoda_engine_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(M_SOURCES)
    set(_src ${M_SOURCES})
  else()
    file(GLOB _src CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  endif()
  add_library(${name} STATIC ${_src})
  target_link_libraries(${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()
