# The Debian package (packaging/). The launcher files are checked on every run; the clean-root
# test builds the .deb and installs it in a new Debian 12 root (minutes, the Debian archive,
# root): label slow, `ctest -L slow -R package_clean_root`.
if(PAGODA_GUI)
  add_test(NAME packaging_launcher_files
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check-launcher-files.sh ${PROJECT_SOURCE_DIR}
                   ${PROJECT_VERSION})
  set_tests_properties(packaging_launcher_files PROPERTIES LABELS "fast" TIMEOUT 60)

  if(PAGODA_HAVE_CUDA)
    set(_cuda ON)
  else()
    set(_cuda OFF)
  endif()
  # The package is built where `./dev.sh package` builds it (build-deb/ beside build/: the same
  # relative paths, so the shared ccache serves it).
  add_test(NAME package_clean_root COMMAND ${PROJECT_SOURCE_DIR}/packaging/test-clean-root.sh)
  set_tests_properties(package_clean_root PROPERTIES LABELS "slow" TIMEOUT 5400
    ENVIRONMENT "PAGODA_CMAKE_ARGS=-DPAGODA_CUDA=${_cuda}")
endif()
