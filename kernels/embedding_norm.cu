// Token embedding lookup and the fused residual add + RMSNorm.
#include "kernels/int4_act_layout.cuh"
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

__global__ void embedding_kernel(const int32_t* ids, const bf16* table, float* residual, int hidden,
                                 int vocab, float* sumsq, int sumsq_sites) {
  __shared__ float scratch[32];
  pdl_wait();
  pdl_trigger();
  const int t = blockIdx.x;
  const int id = ids[t];
  const bool ok = id >= 0 && id < vocab;
  const bf16* row = table + static_cast<size_t>(ok ? id : 0) * hidden;
  float* dst = residual + static_cast<size_t>(t) * hidden;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
    const float v = ok ? __bfloat162float(row[i]) : 0.0f;
    dst[i] = v;
    ss += v * v;
  }
  if (!sumsq) return;  // uniform across the block
  ss = block_sum(ss, scratch);
  if (threadIdx.x == 0) sumsq[t] = ss;
  for (int s = 1 + threadIdx.x; s < sumsq_sites; s += blockDim.x) sumsq[s * kFusedMaxTokens + t] = 0.0f;
}

// frag_kgroups > 0 (FragActOut): the normalized rows into out in the wgmma tiles' layout, in
// tiles of n_tile tokens, the same values as row-major, and zero_floats floats at zero cleared.
__global__ void add_rmsnorm_kernel(const bf16* delta, float* residual, const bf16* weight,
                                   bf16* out, const int32_t* rows, int hidden, float eps,
                                   int frag_kgroups, int n_tile, float* zero, int zero_floats) {
  __shared__ float scratch[32];
  pdl_wait();
  pdl_trigger();
  if (zero_floats > 0)
    clear_split_accum(zero, zero_floats, static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x,
                      static_cast<long>(gridDim.x) * blockDim.x);
  const int i = blockIdx.x;
  const int r = rows ? rows[i] : i;
  float* res = residual + static_cast<size_t>(r) * hidden;
  const bf16* d = delta ? delta + static_cast<size_t>(r) * hidden : nullptr;
  float ss = 0.0f;
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    float x = res[c] + (d ? __bfloat162float(d[c]) : 0.0f);
    if (!rows) res[c] = x;
    ss += x * x;
  }
  const float inv = rsqrtf(block_sum(ss, scratch) / hidden + eps);
  bf16* o = out + static_cast<size_t>(i) * hidden;
  // Each thread re-reads only the columns it wrote, so no barrier is needed before this.
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    float x = rows ? res[c] + (d ? __bfloat162float(d[c]) : 0.0f) : res[c];
    const bf16 v = __float2bfloat16(x * inv * __bfloat162float(weight[c]));
    if (frag_kgroups > 0)
      out[frag_act_offset(i, c, frag_kgroups, n_tile)] = v;
    else
      o[c] = v;
  }
}

}  // namespace

void embedding(const int32_t* ids, const bf16* table, float* residual, int tokens, int hidden,
               int vocab, cudaStream_t stream, float* sumsq, int sumsq_sites) {
  if (tokens <= 0) return;
  if (tokens > kFusedMaxTokens) sumsq = nullptr;
  launch_kernel(embedding_kernel, dim3(tokens), dim3(256), 0, stream, ids, table, residual, hidden, vocab,
         sumsq, sumsq_sites);
}

void add_rmsnorm(const bf16* delta, float* residual, const bf16* weight, bf16* out,
                 const int32_t* rows, int num_rows, int hidden, float eps, cudaStream_t stream,
                 FragActOut frag) {
  if (num_rows <= 0) return;
  const bool to_frag = frag.x && !rows;  // hidden % 64 == 0 (FragActOut)
  const int threads = hidden >= 4096 ? 1024 : (hidden >= 1024 ? 512 : 128);
  launch_kernel(add_rmsnorm_kernel, dim3(num_rows), dim3(threads), 0, stream, delta, residual,
                weight, to_frag ? frag.x : out, rows, hidden, eps, to_frag ? hidden / 64 : 0,
                frag.n_tile, to_frag ? frag.zero : nullptr, to_frag ? frag.zero_floats : 0);
}

}  // namespace pagoda::cuda
