// The SwiGLU activation: silu(gate) * up.
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

__global__ void silu_mul_kernel(const bf16* gate_up, bf16* out, int inter) {
  pdl_wait();
  pdl_trigger();
  const size_t t = blockIdx.y;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < inter; i += gridDim.x * blockDim.x) {
    const float g = __bfloat162float(gate_up[t * 2 * inter + i]);
    const float u = __bfloat162float(gate_up[t * 2 * inter + inter + i]);
    out[t * inter + i] = __float2bfloat16(g / (1.0f + __expf(-g)) * u);
  }
}

}  // namespace

void silu_mul(const bf16* gate_up, bf16* out, int tokens, int inter, cudaStream_t stream) {
  if (tokens <= 0) return;
  const int threads = 256;
  const dim3 grid((inter + threads - 1) / threads, tokens);
  launch_kernel(silu_mul_kernel, grid, dim3(threads), 0, stream, gate_up, out, inter);
}

}  // namespace pagoda::cuda
