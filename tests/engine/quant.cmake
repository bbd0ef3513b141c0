# Quantized weights: the loader's format handling on the CPU (fast) and the CUDA kernels (gpu).
pagoda_add_test(test_quant_weights NAME quant_weights LIBS pagoda_model GTest::gtest_main
                LABELS fast)

if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  pagoda_add_test(test_cuda_quant NAME cuda_quant LIBS pagoda_cuda pagoda_model CUDA::cudart_static
                  GPU)
endif()

# On the CPU, no GPU needed: the streaming int4 product's kernel source (kernels/
# quant_int4_stream.cu, cut before its host launchers) with the PTX primitives swapped for
# tests/engine/mma_emulation.h, one std::thread per CUDA thread (a few seconds).
if(PAGODA_HAVE_CUDA AND TARGET pagoda_cuda)
  set(_stream_src ${PROJECT_SOURCE_DIR}/kernels/quant_int4_stream.cu)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_stream_src}
               ${PROJECT_SOURCE_DIR}/kernels/rope.cuh)
  file(READ ${_stream_src} _k)
  set(_prims "#include \"kernels/mma_primitives.cuh\"")
  set(_common "#include \"kernels/kernel_common.cuh\"")
  string(FIND "${_k}" "${_prims}" _prims_at)
  string(FIND "${_k}" "${_common}" _common_at)
  string(FIND "${_k}" "using StreamKernel = " _host_begin)
  if(_prims_at LESS 0 OR _common_at LESS 0 OR _host_begin LESS 0)
    message(WARNING "quant_int4_stream.cu changed shape: the CPU emulation test is not built")
  else()
    string(SUBSTRING "${_k}" 0 ${_host_begin} _k)
    set(_k "${_k}}  // namespace\n}  // namespace pagoda::cuda\n")
    string(REPLACE "${_prims}" "#include \"tests/engine/mma_emulation.h\"" _k "${_k}")
    # rope.cuh's arithmetic inline, without its device-only include.
    file(READ ${PROJECT_SOURCE_DIR}/kernels/rope.cuh _rope)
    string(REPLACE "#pragma once" "" _rope "${_rope}")
    string(REPLACE "${_common}" "" _rope "${_rope}")
    string(REPLACE "#include \"kernels/rope.cuh\"" "${_rope}" _k "${_k}")
    string(REPLACE "${_common}" "#include \"tests/engine/int4_stream_emulation.h\"" _k "${_k}")
    string(REPLACE "extern __shared__ __align__(16) unsigned char stream_smem[];"
           "unsigned char* stream_smem = emu::smem;" _k "${_k}")
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/int4_stream_emulated.cpp.tmp "${_k}")
    configure_file(${CMAKE_CURRENT_BINARY_DIR}/int4_stream_emulated.cpp.tmp
                   ${CMAKE_CURRENT_BINARY_DIR}/int4_stream_emulated.cpp COPYONLY)
    add_executable(test_int4_stream_emulated
                   ${CMAKE_CURRENT_LIST_DIR}/test_int4_stream_emulated.cpp)
    target_include_directories(test_int4_stream_emulated PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
    target_link_libraries(test_int4_stream_emulated PRIVATE pagoda_cuda CUDA::cudart_static)
    # The device code type-puns registers (bf16x2 <-> uint32), which g++ must not optimize away.
    target_compile_options(test_int4_stream_emulated PRIVATE -Wno-attributes -Wno-unknown-pragmas
                           -fno-strict-aliasing)
    add_test(NAME int4_stream_emulated COMMAND test_int4_stream_emulated)
    set_tests_properties(int4_stream_emulated PROPERTIES LABELS "fast" TIMEOUT 120)
  endif()
endif()
