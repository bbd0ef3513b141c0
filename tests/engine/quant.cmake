# Quantized weights: the loader's format handling on the CPU (fast) and the CUDA kernels (gpu).
pagoda_add_test(test_quant_weights NAME quant_weights LIBS pagoda_model GTest::gtest_main
                LABELS fast)

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_quant NAME cuda_quant LIBS pagoda_cuda pagoda_model CUDA::cudart_static
                  GPU)
endif()

# CPU emulation tests of the int4 kernels (no GPU needed; a few seconds each): a kernel source
# cut before its host launchers (host_marker), the PTX primitives and kernel_common.cuh swapped
# for tests/engine/mma_emulation.h and int4_stream_emulation.h (the warpgroup primitives, where
# included, for wgmma_emulation.h), rope.cuh inlined without its
# device-only include, the extern shared array smem_name pointed at emu::smem, written as
# ${name}.cpp for tests/engine/test_${name}.cpp to include; one std::thread per CUDA thread.
function(pagoda_add_emulated_kernel_test name src host_marker smem_name)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src}
               ${PROJECT_SOURCE_DIR}/kernels/rope.cuh)
  file(READ ${src} _k)
  set(_prims "#include \"kernels/mma_primitives.cuh\"")
  set(_common "#include \"kernels/kernel_common.cuh\"")
  string(FIND "${_k}" "${_prims}" _prims_at)
  string(FIND "${_k}" "${_common}" _common_at)
  string(FIND "${_k}" "${host_marker}" _host_begin)
  if(_prims_at LESS 0 OR _common_at LESS 0 OR _host_begin LESS 0)
    message(WARNING "${src} changed shape: its CPU emulation test (test_${name}) is not built")
    return()
  endif()
  string(SUBSTRING "${_k}" 0 ${_host_begin} _k)
  set(_k "${_k}}  // namespace\n}  // namespace pagoda::cuda\n")
  string(REPLACE "${_prims}" "#include \"tests/engine/mma_emulation.h\"" _k "${_k}")
  string(REPLACE "#include \"kernels/wgmma_primitives.cuh\""
         "#include \"tests/engine/wgmma_emulation.h\"" _k "${_k}")
  file(READ ${PROJECT_SOURCE_DIR}/kernels/rope.cuh _rope)
  string(REPLACE "#pragma once" "" _rope "${_rope}")
  string(REPLACE "${_common}" "" _rope "${_rope}")
  string(REPLACE "#include \"kernels/rope.cuh\"" "${_rope}" _k "${_k}")
  string(REPLACE "${_common}" "#include \"tests/engine/int4_stream_emulation.h\"" _k "${_k}")
  string(REPLACE "extern __shared__ __align__(16) unsigned char ${smem_name}[];"
         "unsigned char* ${smem_name} = emu::smem;" _k "${_k}")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${name}.cpp.tmp "${_k}")
  configure_file(${CMAKE_CURRENT_BINARY_DIR}/${name}.cpp.tmp ${CMAKE_CURRENT_BINARY_DIR}/${name}.cpp
                 COPYONLY)
  add_executable(test_${name} ${CMAKE_CURRENT_LIST_DIR}/test_${name}.cpp)
  target_include_directories(test_${name} PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(test_${name} PRIVATE pagoda_cuda CUDA::cudart_static)
  # The device code type-puns registers (bf16x2 <-> uint32), which g++ must not optimize away.
  target_compile_options(test_${name} PRIVATE -Wno-attributes -Wno-unknown-pragmas
                         -fno-strict-aliasing)
  add_test(NAME ${name} COMMAND test_${name})
  set_tests_properties(${name} PROPERTIES LABELS "fast" TIMEOUT 120)
endfunction()

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
  # The wgmma tile product (kernels/quant_int4_wgmma.cu, 33..128 tokens on sm_90a).
  pagoda_add_emulated_kernel_test(int4_wgmma_emulated
                                  ${PROJECT_SOURCE_DIR}/kernels/quant_int4_wgmma.cu
                                  "// The shapes the host launches" smem)
endif()
