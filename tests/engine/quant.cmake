# Quantized weights: the loader's format handling on the CPU (fast) and the CUDA kernels (gpu).
add_executable(test_quant_weights ${CMAKE_CURRENT_LIST_DIR}/test_quant_weights.cpp)
target_link_libraries(test_quant_weights PRIVATE pagoda_model GTest::gtest_main)
add_test(NAME quant_weights COMMAND test_quant_weights)
set_tests_properties(quant_weights PROPERTIES LABELS "fast")

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  add_executable(test_cuda_quant ${CMAKE_CURRENT_LIST_DIR}/test_cuda_quant.cpp)
  target_link_libraries(test_cuda_quant PRIVATE pagoda_cuda pagoda_model CUDA::cudart_static)
  add_test(NAME cuda_quant COMMAND test_cuda_quant)
  set_tests_properties(cuda_quant PROPERTIES LABELS "gpu" SKIP_RETURN_CODE 77)
endif()
