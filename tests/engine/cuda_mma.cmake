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
# mma.sync; kernels/mma_primitives.cuh) swapped for an emulation, one std::thread per CUDA
# thread. The copy is cut before the host launchers.
set(_mma_src ${PROJECT_SOURCE_DIR}/kernels/attention_mma.cu)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_mma_src})
file(READ ${_mma_src} _k)
set(_prims "#include \"kernels/mma_primitives.cuh\"")
string(FIND "${_k}" "${_prims}" _prims_at)
string(FIND "${_k}" "template <int HD>\nbool launch(" _host_begin)
string(FIND "${_k}" "extern __shared__ __align__(16) unsigned char mma_smem[];" _shared_at)
string(FIND "${_k}" "#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800" _arch_at)
if(_prims_at LESS 0 OR _host_begin LESS 0 OR _shared_at LESS 0 OR _arch_at LESS 0)
  message(WARNING "attention_mma.cu changed shape: the CPU emulation test is not built")
  return()
endif()
string(SUBSTRING "${_k}" 0 ${_host_begin} _k)
set(_k "${_k}}  // namespace\n}  // namespace pagoda::cuda\n")
string(REPLACE "${_prims}" "#include \"tests/engine/mma_emulation.h\"" _k "${_k}")
string(REPLACE "extern __shared__ __align__(16) unsigned char mma_smem[];"
       "unsigned char* mma_smem = emu::smem;" _k "${_k}")
string(REPLACE "#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800" "#if 1" _k "${_k}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/attention_mma_emulated.cpp.tmp "${_k}")
configure_file(${CMAKE_CURRENT_BINARY_DIR}/attention_mma_emulated.cpp.tmp
               ${CMAKE_CURRENT_BINARY_DIR}/attention_mma_emulated.cpp COPYONLY)
add_executable(test_attention_mma_emulated
               ${CMAKE_CURRENT_LIST_DIR}/test_attention_mma_emulated.cpp)
target_include_directories(test_attention_mma_emulated
                           PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(test_attention_mma_emulated PRIVATE pagoda_cuda CUDA::cudart_static)
target_compile_options(test_attention_mma_emulated PRIVATE -Wno-attributes -Wno-unknown-pragmas)
add_test(NAME attention_mma_emulated COMMAND test_attention_mma_emulated)
set_tests_properties(attention_mma_emulated PROPERTIES LABELS "slow")
