# Quantized weights: the loader's format handling on the CPU (fast) and the CUDA kernels (gpu).
pagoda_add_test(test_quant_weights NAME quant_weights LIBS pagoda_model GTest::gtest_main
                LABELS fast)

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_quant NAME cuda_quant LIBS pagoda_cuda pagoda_model CUDA::cudart_static
                  GPU)
endif()
