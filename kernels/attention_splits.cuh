#pragma once
// The merge of flash-decoding's KV splits, shared by the CUDA-core attention (attention.cu) and
// the tensor-core decode attention (attention_mma.cu, which also compiles on the host for its CPU
// emulation: plain arithmetic only). Internal linkage: every .cu compiles its own inline copy.
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/kernels.h"

namespace pagoda::cuda {
namespace {

// The merge of the splits' partial softmax states for one row and dim. Up to kAttentionMaxSplits
// of them are loaded together, so the merge costs one round trip to memory rather than one per
// split (attention_combine_kernel took ~10 us of a 0.5B decode layer before).
__device__ __forceinline__ float combine_splits(const AttentionParams& p, size_t row, int d,
                                                int splits) {
  const size_t rows = static_cast<size_t>(p.tokens) * p.nh;
  float num = 0.0f, den = 0.0f;
  if (splits <= kAttentionMaxSplits) {
    float m[kAttentionMaxSplits], l[kAttentionMaxSplits], o[kAttentionMaxSplits];
#pragma unroll
    for (int z = 0; z < kAttentionMaxSplits; ++z) {
      m[z] = -INFINITY, l[z] = o[z] = 0.0f;
      if (z < splits) {
        m[z] = __ldcg(&p.partial_ml[(z * rows + row) * 2]);
        l[z] = __ldcg(&p.partial_ml[(z * rows + row) * 2 + 1]);
        o[z] = __ldcg(&p.partial_out[(z * rows + row) * p.hd + d]);
      }
    }
    float big = -INFINITY;
#pragma unroll
    for (int z = 0; z < kAttentionMaxSplits; ++z) big = fmaxf(big, m[z]);
#pragma unroll
    for (int z = 0; z < kAttentionMaxSplits; ++z) {
      if (z >= splits || m[z] == -INFINITY) continue;
      const float w = __expf(m[z] - big);
      den += l[z] * w;
      num += o[z] * w;
    }
  } else {
    float big = -INFINITY;
    for (int z = 0; z < splits; ++z) big = fmaxf(big, __ldcg(&p.partial_ml[(z * rows + row) * 2]));
    for (int z = 0; z < splits; ++z) {
      const float mz = __ldcg(&p.partial_ml[(z * rows + row) * 2]);
      if (mz == -INFINITY) continue;
      const float w = __expf(mz - big);
      den += __ldcg(&p.partial_ml[(z * rows + row) * 2 + 1]) * w;
      num += __ldcg(&p.partial_out[(z * rows + row) * p.hd + d]) * w;
    }
  }
  return den > 0.0f ? num / den : 0.0f;
}

}  // namespace
}  // namespace pagoda::cuda
