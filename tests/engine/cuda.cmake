# GPU tests of the CUDA backend (label "gpu"): they exit 77 (skipped) on machines without a GPU.
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  add_executable(test_cuda_kernels ${CMAKE_CURRENT_LIST_DIR}/test_cuda_kernels.cpp)
  target_link_libraries(test_cuda_kernels PRIVATE pagoda_cuda pagoda_backend CUDA::cudart_static)
  add_test(NAME cuda_kernels COMMAND test_cuda_kernels)

  add_executable(test_cuda_gemv_rope ${CMAKE_CURRENT_LIST_DIR}/test_cuda_gemv_rope.cpp)
  target_link_libraries(test_cuda_gemv_rope PRIVATE pagoda_cuda pagoda_backend CUDA::cudart_static)
  add_test(NAME cuda_gemv_rope COMMAND test_cuda_gemv_rope)

  add_executable(test_cuda_e2e ${CMAKE_CURRENT_LIST_DIR}/test_cuda_e2e.cpp)
  target_link_libraries(test_cuda_e2e PRIVATE pagoda_cuda pagoda_cpu pagoda_model
                        nlohmann_json::nlohmann_json)
  pagoda_test_defs(test_cuda_e2e)
  add_test(NAME cuda_e2e COMMAND test_cuda_e2e)

  set_tests_properties(cuda_kernels cuda_gemv_rope cuda_e2e PROPERTIES LABELS "gpu" SKIP_RETURN_CODE 77)
endif()
