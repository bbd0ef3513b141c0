# The GPU sampler's constrained-decoding masks against the reference sampler (label "gpu"):
# exits 77 (skipped) without a GPU.
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_grammar_mask NAME cuda_grammar_mask
                  LIBS pagoda_cuda pagoda_backend pagoda_grammar CUDA::cudart_static GPU DATA)
endif()
