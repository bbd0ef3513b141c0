# Tests of the tensor-core prefill attention (kernels/attention_mma.cu).
if(NOT PAGODA_HAVE_CUDA OR NOT TARGET pagoda_cuda)
  return()
endif()

# On the GPU (label "gpu"): exits 77 (skipped) without a GPU of compute capability 8.0+.
add_executable(test_cuda_attention_mma ${CMAKE_CURRENT_LIST_DIR}/test_cuda_attention_mma.cpp)
target_link_libraries(test_cuda_attention_mma PRIVATE pagoda_cuda CUDA::cudart_static)
add_test(NAME cuda_attention_mma COMMAND test_cuda_attention_mma)
set_tests_properties(cuda_attention_mma PROPERTIES LABELS "gpu" SKIP_RETURN_CODE 77)

# On the CPU, no GPU needed: the kernel's own source with the PTX primitives (cp.async, ldmatrix,
# mma.sync) swapped for the emulation (pagoda_add_emulated_kernel_test, tests/CMakeLists.txt).
pagoda_add_emulated_kernel_test(attention_mma_emulated ${PROJECT_SOURCE_DIR}/kernels/attention_mma.cu
                                "template <int HD>\nbool launch(" mma_smem LABEL slow
                                ARCH_GUARD "#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800")
