# The headless path must never pull in Qt: pagoda-cli (engine, server, hub) and the CUDA backend.
add_test(NAME headless_links_no_qt
         COMMAND ${CMAKE_COMMAND} -DFILES=$<TARGET_FILE:pagoda-cli>$<$<TARGET_EXISTS:pagoda_cuda>:,$<TARGET_FILE:pagoda_cuda>>
                 -P ${CMAKE_CURRENT_LIST_DIR}/check_no_qt.cmake)
set_tests_properties(headless_links_no_qt PROPERTIES LABELS "fast")
