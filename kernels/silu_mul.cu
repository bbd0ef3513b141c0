// The SwiGLU activation: silu(gate) * up.
#include "kernels/int4_act_layout.cuh"
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

// frag_kgroups > 0 (FragActOut): out in the wgmma tiles' layout, tiles of n_tile tokens, and
// zero_floats floats at zero cleared.
__global__ void silu_mul_kernel(const bf16* gate_up, bf16* out, int inter, int frag_kgroups,
                                int n_tile, float* zero, int zero_floats) {
  pdl_wait();
  pdl_trigger();
  if (zero_floats > 0)
    clear_split_accum(
        zero, zero_floats,
        (static_cast<long>(blockIdx.y) * gridDim.x + blockIdx.x) * blockDim.x + threadIdx.x,
        static_cast<long>(gridDim.x) * gridDim.y * blockDim.x);
  const size_t t = blockIdx.y;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < inter; i += gridDim.x * blockDim.x) {
    const float g = __bfloat162float(gate_up[t * 2 * inter + i]);
    const float u = __bfloat162float(gate_up[t * 2 * inter + inter + i]);
    const size_t at = frag_kgroups > 0
                          ? frag_act_offset(static_cast<int>(t), i, frag_kgroups, n_tile)
                          : t * inter + i;
    out[at] = __float2bfloat16(g / (1.0f + __expf(-g)) * u);
  }
}

}  // namespace

void silu_mul(const bf16* gate_up, bf16* out, int tokens, int inter, cudaStream_t stream,
              FragActOut frag) {
  if (tokens <= 0) return;
  const bool to_frag = frag.x != nullptr;  // inter % 64 == 0 (FragActOut)
  const int threads = 256;
  const dim3 grid((inter + threads - 1) / threads, tokens);
  launch_kernel(silu_mul_kernel, grid, dim3(threads), 0, stream, gate_up, to_frag ? frag.x : out,
                inter, to_frag ? inter / 64 : 0, frag.n_tile, to_frag ? frag.zero : nullptr,
                to_frag ? frag.zero_floats : 0);
}

}  // namespace pagoda::cuda
