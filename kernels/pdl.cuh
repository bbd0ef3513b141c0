#pragma once
// Programmatic dependent launch for the kernels' .cu files: the device-side wait and trigger, and
// the host launcher that asks for it. Separate from kernel_common.cuh so the tensor-core attention
// (attention_mma.cu) can use it and still compile on the host for its CPU emulation
// (tests/engine/cuda_mma.cmake), where the device functions are empty. No state; any thread.
#include <cuda_runtime.h>

#include <utility>

#include "kernels/kernels.h"

namespace pagoda::cuda {

// Programmatic dependent launch (sm_90): a kernel launched with launch_kernel() may start while the one
// before it finishes; it calls pdl_wait() before touching memory the earlier kernels read or write,
// then pdl_trigger() so the next kernel's blocks can be scheduled. Both are no-ops before sm_90
// and when the kernel was launched normally.
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// launch_kernel(kernel, ...) launches kernel<<<grid, block, smem, stream>>>(args...), as a programmatic dependent launch
// when programmatic_launch_enabled() (set_programmatic_launch in kernels.h).
template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = programmatic_launch_enabled() ? 1 : 0;
  cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
}

}  // namespace pagoda::cuda
