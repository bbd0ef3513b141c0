// Random bf16 weights on the device (benchmarks).
#include "kernels/kernel_common.cuh"
#include "engine/backend/philox.h"

namespace pagoda::cuda {

namespace {

__global__ void fill_random_kernel(bf16* out, size_t n, uint64_t seed, float scale, float offset) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16(offset + scale * (2.0f * uniform_draw(seed, i) - 1.0f));
}

}  // namespace

void fill_random_bf16(bf16* out, size_t n, uint64_t seed, float scale, float offset,
                      cudaStream_t stream) {
  if (n == 0) return;
  fill_random_kernel<<<1024, 256, 0, stream>>>(out, n, seed, scale, offset);
}

}  // namespace pagoda::cuda
