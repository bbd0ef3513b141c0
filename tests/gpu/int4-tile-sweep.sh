#!/usr/bin/env bash
# The int4 tile products' shapes on the GPU machine, after tests/gpu/quant-checks.sh built
# build-quant in the same call: test_cuda_quant's checks with each wgmma shape
# (PAGODA_CUDA_INT4_WGMMA_SHAPE, kernels/quant_int4_wgmma.cu), the 7B products timed at
# SWEEP_M tokens ("64,128") for each shape, with forced k-group splits and with the mma.sync
# tiles, and pagoda-bench AWQ decode at SWEEP_BATCHES ("64,128") for each shape. Summary to
# $OUT/sweep.log, details to $OUT/sweep-detail.log. SWEEP_SHAPES ("5 6 7 8"),
# SWEEP_SPLITS ("1": the forced splits of the k groups timed with the default shape).
# SWEEP_VARIANTS ("clusters:PAGODA_CUDA_INT4_WGMMA_CLUSTER=1"):
# for each TAG:VAR=VALUE[,VAR=VALUE...], test_cuda_quant, the products and AWQ decode at
# SWEEP_BATCHES with those variables set.
# SWEEP_FROM="65 17": test_cuda_quant and AWQ decode at SWEEP_FROM_BATCHES ("24,32,48,64") with
# the wgmma tiles from each of those token counts (PAGODA_CUDA_INT4_WGMMA_FROM).
# SWEEP_SASS="regex": the SASS of the plugin's kernels whose mangled name matches, to
# $OUT/kernels.sass, with the instruction count of each.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/gpu/unpack-deps.sh
T=${BUILD_DIR:-build-quant}/tests
OUT=${OUT:-$(mktemp -d)}
LOG=$OUT/sweep.log DETAIL=$OUT/sweep-detail.log
M=${SWEEP_M:-64,128} B=${SWEEP_BATCHES:-64,128}
for shape in ${SWEEP_SHAPES:-5 6 7 8}; do
  PAGODA_CUDA_INT4_WGMMA_SHAPE=$shape PAGODA_SKIP_TIMING=1 timeout 60 "$T/test_cuda_quant" >>"$DETAIL" 2>&1
  echo "== shape $shape: test_cuda_quant rc $?" | tee -a "$LOG"
done
time_shapes() {  # time_shapes TAG ENV...
  local tag=$1
  shift
  echo "== $tag" | tee -a "$LOG"
  env "$@" PAGODA_QUANT_PROFILE=7B PAGODA_QUANT_TIMED=1 PAGODA_QUANT_PROFILE_M=$M timeout 60 \
    "$T/test_cuda_quant" 2>&1 | grep "frag 7B" | tee -a "$LOG"
}
for shape in ${SWEEP_SHAPES:-5 6 7 8}; do time_shapes "shape $shape" PAGODA_CUDA_INT4_WGMMA_SHAPE=$shape; done
for splits in ${SWEEP_SPLITS:-1}; do
  time_shapes "default shape, k groups in $splits" PAGODA_CUDA_INT4_WGMMA_SPLITS=$splits
done
time_shapes "mma.sync tiles" PAGODA_CUDA_INT4_WGMMA=0
for variant in ${SWEEP_VARIANTS-clusters:PAGODA_CUDA_INT4_WGMMA_CLUSTER=1}; do
  tag=${variant%%:*}
  IFS=, read -ra vars <<<"${variant#*:}"
  env "${vars[@]}" PAGODA_SKIP_TIMING=1 timeout 60 "$T/test_cuda_quant" >>"$DETAIL" 2>&1
  echo "== $tag: test_cuda_quant rc $?" | tee -a "$LOG"
  time_shapes "$tag" "${vars[@]}"
  env "${vars[@]}" PAGODA_CUDA_INT4_TUNE_LOG=1 timeout 60 "$T/pagoda-bench" \
    --model qwen2.5-7b --quant awq --batches "$B" --offline 0 --no-prefill --tag "awq_$tag" \
    2>&1 | grep -E "decode_b|clusters at once" | tee -a "$LOG"
done
for shape in ${SWEEP_SHAPES:-5 6 7 8}; do
  PAGODA_CUDA_INT4_WGMMA_SHAPE=$shape timeout 60 "$T/pagoda-bench" --model qwen2.5-7b --quant awq \
    --batches "$B" --offline 0 --no-prefill --tag "awq_shape$shape" 2>&1 | grep -E "decode_b" | tee -a "$LOG"
done
for from in ${SWEEP_FROM:-}; do
  PAGODA_CUDA_INT4_WGMMA_FROM=$from PAGODA_SKIP_TIMING=1 timeout 60 "$T/test_cuda_quant" \
    >>"$DETAIL" 2>&1
  echo "== wgmma tiles from $from tokens: test_cuda_quant rc $?" | tee -a "$LOG"
  PAGODA_CUDA_INT4_WGMMA_FROM=$from timeout 60 "$T/pagoda-bench" --model qwen2.5-7b --quant awq \
    --batches "${SWEEP_FROM_BATCHES:-24,32,48,64}" --offline 0 --no-prefill --tag "awq_from$from" \
    2>&1 | grep -E "decode_b[0-9]+_tok" | tee -a "$LOG"
done
if [ -n "${SWEEP_SASS:-}" ] && command -v cuobjdump >/dev/null; then
  lib=$(find "${BUILD_DIR:-build-quant}" -name 'libpagoda_cuda.so' | head -1)
  cuobjdump -sass "$lib" | awk -v re="${SWEEP_SASS}" '
    /Function : / { keep = ($0 ~ re) }
    keep' >"$OUT/kernels.sass"
  awk '/Function : / { if (name) print n, name; name = $3; n = 0 } /^ +\/\*[0-9a-f]+\*\// { n++ }
       END { if (name) print n, name }' "$OUT/kernels.sass" | tee -a "$LOG"
fi
