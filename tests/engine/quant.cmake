# Quantized weights: the loader's format handling on the CPU (fast) and the CUDA kernels (gpu).
pagoda_add_test(test_quant_weights NAME quant_weights LIBS pagoda_model GTest::gtest_main
                LABELS fast)

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_quant NAME cuda_quant LIBS pagoda_cuda pagoda_model CUDA::cudart_static
                  GPU)
endif()

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  # The streaming product (1..8 tokens) and the tile product (kernels/quant_int4_mma.cu's
  # int4_gemm_kernel, 33..128 tokens).
  pagoda_add_emulated_kernel_test(int4_stream_emulated
                                  ${PROJECT_SOURCE_DIR}/kernels/quant_int4_stream.cu
                                  "using StreamKernel = " stream_smem)
  pagoda_add_emulated_kernel_test(int4_tile_emulated
                                  ${PROJECT_SOURCE_DIR}/kernels/quant_int4_mma.cu
                                  "template <int NT, int TS, bool OutF32>\nbool allow_gemm_smem()"
                                  smem)
  # The wgmma tile product (kernels/quant_int4_wgmma.cu, 17..128 tokens on sm_90a).
  pagoda_add_emulated_kernel_test(int4_wgmma_emulated
                                  ${PROJECT_SOURCE_DIR}/kernels/quant_int4_wgmma.cu
                                  "// The host side from here on" smem)
endif()
