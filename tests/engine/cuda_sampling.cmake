# GPU sampling against the reference sampler (label "gpu"): exits 77 (skipped) without a GPU.
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_sampling NAME cuda_sampling
                  LIBS pagoda_cuda pagoda_backend CUDA::cudart_static GPU)
endif()
