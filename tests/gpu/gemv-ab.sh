#!/usr/bin/env bash
# A/B of the decode GEMV's launch shape on the warm build (decode-checks.sh built it).
cd "$(dirname "$0")/../.."
B=${BUILD_DIR:-build-gpu}
cmake --build "$B" -j"$(nproc)" --target pagoda-bench >/dev/null 2>&1 || { echo build failed; exit 1; }
for m in ${SHAPES:-qwen2.5-7b qwen2.5-0.5b}; do
  for v in "" "PAGODA_GEMV_PREFETCH=0" "PAGODA_GEMV_WARPS=4" "PAGODA_GEMV_WARPS=4 PAGODA_GEMV_PREFETCH=0" \
           "PAGODA_CUDA_FUSE=0 PAGODA_GEMV_WARPS=4 PAGODA_GEMV_PREFETCH=0"; do
    tag=$(echo "${v:-default}" | tr -d ' =' | sed 's/PAGODA_//g')
    env $v timeout 100 "$B/tests/pagoda-bench" --model "$m" --batches ${BATCHES:-1} --gen 64 --no-prefill \
      --offline 0 --tag "$tag" 2>&1 | grep -E "decode_b|forward_gpu"
  done
done
