// Greedy sampling on the GPU: banned ids, argmax and the raw logprob of the chosen token.
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

__global__ void greedy_sample_kernel(float* logits, int vocab, const int32_t* banned,
                                     const int32_t* banned_offsets, int32_t* ids, float* logprobs) {
  __shared__ float sv[32];
  __shared__ int si[32];
  __shared__ float scratch[32];
  const int r = blockIdx.x;
  float* x = logits + static_cast<size_t>(r) * vocab;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int nwarps = blockDim.x >> 5;

  // Raw log-sum-exp: per-thread online max/sum, then block merges.
  float mx = -INFINITY, sum = 0.0f;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
    const float v = x[c];
    if (v > mx) {
      sum = sum * __expf(mx - v) + 1.0f;
      mx = v;
    } else if (v != -INFINITY) {
      sum += __expf(v - mx);
    }
  }
  const float bmax = [&] {
    float m = warp_max(mx);
    __syncthreads();
    if (lane == 0) sv[warp] = m;
    __syncthreads();
    float t = lane < nwarps ? sv[lane] : -INFINITY;
    return warp_max(t);
  }();
  const float scaled = mx == -INFINITY ? 0.0f : sum * __expf(mx - bmax);
  const float total = block_sum(scaled, scratch);
  const float lse = bmax + logf(total);

  __syncthreads();
  if (banned_offsets) {
    for (int k = banned_offsets[r] + threadIdx.x; k < banned_offsets[r + 1]; k += blockDim.x) {
      const int id = banned[k];
      if (id >= 0 && id < vocab) x[id] = -INFINITY;
    }
  }
  __syncthreads();
  float bv = -INFINITY;
  int bi = 0x7fffffff;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) argmax_merge(bv, bi, x[c], c);
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
    const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
    argmax_merge(bv, bi, ov, oi);
  }
  __syncthreads();
  if (lane == 0) {
    sv[warp] = bv;
    si[warp] = bi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float v = sv[0];
    int i = si[0];
    for (int w = 1; w < nwarps; ++w) argmax_merge(v, i, sv[w], si[w]);
    if (i < 0 || i >= vocab) i = 0;  // every logit -inf: the reference also answers 0
    ids[r] = i;
    // The chosen id was not banned unless everything was, so its logit is still the raw one.
    logprobs[r] = x[i] == -INFINITY ? -INFINITY : x[i] - lse;
  }
}

}  // namespace

void greedy_sample(float* logits, int rows, int vocab, const int32_t* banned,
                   const int32_t* banned_offsets, int32_t* ids, float* logprobs,
                   cudaStream_t stream) {
  if (rows <= 0) return;
  greedy_sample_kernel<<<rows, 1024, 0, stream>>>(logits, vocab, banned, banned_offsets, ids,
                                                  logprobs);
}

}  // namespace pagoda::cuda
