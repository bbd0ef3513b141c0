// Rotary embedding of q and k (with the optional Qwen3 q/k norms) and the store of k, v into the paged cache.
#include "kernels/rope.cuh"

namespace pagoda::cuda {

namespace {

// One warp per head; the head is staged in shared memory so any even head_dim works.
__global__ void rope_store_kernel(RopeStoreParams p) {
  extern __shared__ float rs_smem[];
  pdl_wait();
  pdl_trigger();
  const int t = blockIdx.x;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int nwarps = blockDim.x >> 5;
  const int hd = p.hd, half = hd / 2;
  const int heads = p.nh + 2 * p.nkv;
  float* buf = rs_smem + warp * hd;
  const float pos = static_cast<float>(p.positions[t]);
  const int slot = p.slots[t];
  const bf16* row = p.qkv + static_cast<size_t>(t) * heads * hd;
  for (int h = warp; h < heads; h += nwarps) {
    const bool is_q = h < p.nh, is_k = !is_q && h < p.nh + p.nkv;
    for (int d = lane; d < hd; d += 32) {
      float x = __bfloat162float(row[h * hd + d]);
      if (p.bias) x += __bfloat162float(p.bias[h * hd + d]);
      buf[d] = x;
    }
    __syncwarp();
    const bf16* norm_w = is_q ? p.q_norm : (is_k ? p.k_norm : nullptr);
    if (norm_w) {
      float ss = 0.0f;
      for (int d = lane; d < hd; d += 32) ss += buf[d] * buf[d];
      const float inv = rsqrtf(warp_sum(ss) / hd + p.eps);
      __syncwarp();
      for (int d = lane; d < hd; d += 32) buf[d] = buf[d] * inv * __bfloat162float(norm_w[d]);
      __syncwarp();
    }
    if (is_q || is_k) {
      for (int d = lane; d < half; d += 32)  // each lane owns its (d, d + half) pairs
        rope_rotate(buf[d], buf[d + half], pos, p.inv_freq[d], p.rope_scale);
      __syncwarp();
    }
    bf16* dst = rope_head_destination(p, t, h, slot);
    if (dst)
      for (int d = lane; d < hd; d += 32) dst[d] = __float2bfloat16(buf[d]);
    __syncwarp();
  }
}

}  // namespace

void rope_store(const RopeStoreParams& p, cudaStream_t stream) {
  if (p.tokens <= 0) return;
  const int heads = p.nh + 2 * p.nkv;
  const int warps = heads < 16 ? heads : 16;
  launch_kernel(rope_store_kernel, dim3(p.tokens), dim3(warps * 32), warps * p.hd * sizeof(float), stream, p);
}

}  // namespace pagoda::cuda
