# GPU sampling against the reference sampler (label "gpu"): exits 77 (skipped) without a GPU.
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  add_executable(test_cuda_sampling ${CMAKE_CURRENT_LIST_DIR}/test_cuda_sampling.cpp)
  target_link_libraries(test_cuda_sampling PRIVATE pagoda_cuda pagoda_backend CUDA::cudart_static)
  add_test(NAME cuda_sampling COMMAND test_cuda_sampling)
  set_tests_properties(cuda_sampling PROPERTIES LABELS "gpu" SKIP_RETURN_CODE 77)
endif()
