#!/usr/bin/env bash
# Issue 17 on the GPU machine, in one call (< 9 minutes): unpacks the carried -dev packages,
# builds only the quantization targets, generates the quantized fixtures and their transformers
# goldens (tests/quant/make_quant_fixtures.py, in the background during the build), runs the
# quantized-kernel test (and compute-sanitizer memcheck on it), the CUDA-vs-CPU end-to-end test on
# the quantized fixtures and on the plain ones, and pagoda-bench on the 7B shape for each
# quantized format and bf16. Everything is written to $OUT (at most 8 files):
#   quant-checks.log (summary), build.log, fixtures.log, cuda-quant.log, e2e.log, memcheck.log,
#   bench.log, quant-fixtures.tar.xz (the quantized models and goldens, no float32 copies).
# Steps past the time budget (BUDGET_S, 500 s) are skipped and reported as skipped.
# Local dry runs: SKIP_BUILD=1 BUILD_DIR=build PYTHON=/usr/bin/python3 (tests without a GPU
# report "skipped").
# Shorter runs: SKIP_FIXTURES=1 (use the fixtures and goldens in tests/data: test_cuda_e2e then
# runs its default list, which includes them), BENCH_FORMATS ("awq bf16 fp8 gptq8 gptq4"),
# SKIP_AB=1 (no A/B of the int4 routes after the benchmarks), SKIP_MEMCHECK=1, BENCH_BATCHES
# ("1,2,4,8": pagoda-bench's --batches; its default otherwise).
# NCU_SHAPE="7B gate_up" (a name of test_cuda_quant's timed shapes): Nsight Compute's speed of
# light, occupancy, scheduler, warp-state, memory and compute sections of every int4 product on
# that shape at NCU_M tokens (1 unless set; test_cuda_quant with PAGODA_QUANT_PROFILE), as CSV in
# ncu.csv.
# PROFILE_BATCH=N: an eager decode step of AWQ and bf16 at N tokens, timed per kernel kind
# (PAGODA_CUDA_PROFILE=1), before the A/B section. WGMMA_AB="32,64,128": AWQ decode at those
# batches with the mma.sync tiles in place of the wgmma ones (PAGODA_CUDA_INT4_WGMMA=0).
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
BUDGET_S=${BUDGET_S:-500}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
BUILD_DIR=${BUILD_DIR:-build-quant}
WORK=$(mktemp -d)
SUMMARY=$OUT/quant-checks.log
note() { echo "== $1" | tee -a "$SUMMARY"; }
left() { echo $((BUDGET_S - ($(date +%s) - START))); }
# run_step SECONDS LOG NAME CMD...: runs CMD with a timeout of min(SECONDS, budget left).
run_step() {
  local want=$1 log=$2 name=$3
  shift 3
  local t
  t=$(left)
  [ "$t" -gt "$want" ] && t=$want
  if [ "$t" -lt 10 ]; then
    note "$name: SKIPPED (time budget spent)"
    return 1
  fi
  echo "---- $name (timeout ${t}s)" >>"$log"
  local s=$(date +%s)
  timeout "$t" "$@" >>"$log" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then note "$name: passed ($(( $(date +%s) - s )) s)"
  elif [ $rc -eq 77 ]; then note "$name: skipped (no GPU)"
  else note "$name: FAILED rc $rc ($(( $(date +%s) - s )) s)"; fi
  return $rc
}

source tests/gpu/unpack-deps.sh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$SUMMARY"

# Fixtures and goldens need only python (numpy, torch, transformers): start them now.
FIXTURES_PID=
if [ "${SKIP_FIXTURES:-0}" != 1 ]; then
  (timeout 300 "${PYTHON:-python3}" tests/quant/make_quant_fixtures.py --out "$WORK/qf" \
     >"$OUT/fixtures.log" 2>&1; echo "exit $?" >>"$OUT/fixtures.log") &
  FIXTURES_PID=$!
fi

deps=()
[ -d .deps/usr ] && deps=(-DPAGODA_DEPS_PREFIX="$PWD/.deps")
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  note "build: skipped (SKIP_BUILD=1)"
elif ! cmake -S . -B "$BUILD_DIR" -G Ninja -DPAGODA_GUI=OFF -DPAGODA_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release "${deps[@]}" >"$OUT/build.log" 2>&1; then
  note "configure: FAILED"; tail -30 "$OUT/build.log"
else
  run_step 330 "$OUT/build.log" "build" cmake --build "$BUILD_DIR" -j"$(nproc)" --target \
    pagoda_cuda test_cuda_quant test_cuda_kernels test_cuda_e2e test_quant_weights pagoda-bench
  grep -E "error|FAILED" "$OUT/build.log" | head -20 | tee -a "$SUMMARY"
fi
T=$BUILD_DIR/tests

run_step 90 "$OUT/cuda-quant.log" "test_cuda_quant (kernels vs float64)" "$T/test_cuda_quant"
# q4: the streaming int4 product's variants (v0 = the one-block-per-CTA product) per shape.
grep -E "streaming variant|^  best|-> v[0-9]" "$OUT/cuda-quant.log" | tee -a "$SUMMARY"
# The int4 tiles from 33 tokens (PAGODA_CUDA_INT4_TILE_ROWS=32; the default starts them at 17).
PAGODA_CUDA_INT4_TILE_ROWS=32 PAGODA_SKIP_TIMING=1 run_step 60 "$OUT/cuda-quant.log" \
  "test_cuda_quant with the tiles from 33 tokens" "$T/test_cuda_quant"
# The mma.sync tiles where the wgmma ones would run (PAGODA_CUDA_INT4_WGMMA=0).
PAGODA_CUDA_INT4_WGMMA=0 PAGODA_SKIP_TIMING=1 run_step 60 "$OUT/cuda-quant.log" \
  "test_cuda_quant with the mma.sync tiles" "$T/test_cuda_quant"
grep -E "^int4 tiles above" "$OUT/cuda-quant.log" | tee -a "$SUMMARY"
# sm_90a code in the plugin: the count of the wgmma kernels' HGMMA instructions in its SASS.
LIB=$BUILD_DIR/lib/libpagoda_cuda.so
command -v cuobjdump >/dev/null && [ -f "$LIB" ] &&
  echo "== HGMMA instructions in libpagoda_cuda.so: $(cuobjdump --dump-sass "$LIB" 2>/dev/null |
    grep -c HGMMA)" | tee -a "$SUMMARY"
run_step 30 "$OUT/cuda-quant.log" "test_quant_weights (loader, CPU)" "$T/test_quant_weights"
run_step 60 "$OUT/cuda-kernels.log" "test_cuda_kernels (norms, SiLU, RoPE, attention vs float64)" \
  "$T/test_cuda_kernels"
if [ -n "${NCU_SHAPE:-}" ] && command -v ncu >/dev/null; then
  PAGODA_QUANT_PROFILE=$NCU_SHAPE PAGODA_QUANT_PROFILE_M=${NCU_M:-1} PAGODA_CUDA_INT4_GEMV=1 \
    run_step 150 "$OUT/ncu.csv" "ncu on the int4 products of $NCU_SHAPE at ${NCU_M:-1} tokens" \
    ncu --clock-control none -k "regex:int4_(reg|stream|mma|gemm|wgmma|wgmma_rs|frag_order)_kernel|finish_split" \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section SchedulerStats \
    --section WarpStateStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    --metrics smsp__inst_executed.sum --csv --page details "$T/test_cuda_quant"
fi
if [ "${SKIP_MEMCHECK:-0}" = 1 ]; then
  note "memcheck: skipped (SKIP_MEMCHECK=1)"
elif command -v compute-sanitizer >/dev/null; then
  PAGODA_SKIP_TIMING=1 PAGODA_QUANT_SWEEP=0 run_step 150 "$OUT/memcheck.log" "memcheck test_cuda_quant" \
    compute-sanitizer --tool memcheck --error-exitcode 9 "$T/test_cuda_quant"
  grep "ERROR SUMMARY" "$OUT/memcheck.log" | tee -a "$SUMMARY"
else
  note "compute-sanitizer: not found"
fi

[ -n "$FIXTURES_PID" ] && wait "$FIXTURES_PID" && note "fixtures + goldens: $(tail -1 "$OUT/fixtures.log")"
QUANT_MODELS=$([ -n "$FIXTURES_PID" ] && ls "$WORK/qf/golden" 2>/dev/null | sed -n 's/^model-\(.*\)\.safetensors$/\1/p' | tr '\n' ' ')
if [ -n "$QUANT_MODELS" ]; then
  (cd "$WORK/qf" && tar cJf "$OUT/quant-fixtures.tar.xz" --exclude='*-dequant' models golden) &&
    note "quant-fixtures.tar.xz: $(du -h "$OUT/quant-fixtures.tar.xz" | cut -f1)"
  (cd "$WORK/qf/models" && sha256sum */model.safetensors | grep -v dequant) >>"$OUT/fixtures.log"
  # CUDA (bf16 activations) against the CPU backend (float32) on the quantized fixtures.
  PAGODA_E2E_DATA=$WORK/qf run_step 120 "$OUT/e2e.log" "test_cuda_e2e on quantized fixtures" \
    "$T/test_cuda_e2e" $QUANT_MODELS
  grep -E "graphs=|FAIL" "$OUT/e2e.log" | tee -a "$SUMMARY"
fi

run_step 90 "$OUT/e2e.log" "test_cuda_e2e, default list (plain and tests/data quantized fixtures)" \
  "$T/test_cuda_e2e"
grep -E "graphs=|FAIL" "$OUT/e2e.log" | tail -32 | tee -a "$SUMMARY"

bench() {  # bench TAG [--quant FORMAT]
  local tag=$1
  shift
  PAGODA_CUDA_INT4_TUNE_LOG=1 run_step 75 "$OUT/bench.log" "pagoda-bench qwen2.5-7b $tag" "$T/pagoda-bench" --model qwen2.5-7b \
    --offline 0 ${BENCH_BATCHES:+--batches "$BENCH_BATCHES"} "$@"
}
for f in ${BENCH_FORMATS:-awq bf16 fp8 gptq8 gptq4}; do
  if [ "$f" = bf16 ]; then bench bf16; else bench "$f" --quant "$f"; fi
done
grep -E "^RESULT|weights|quantized|^int4 streaming|-> v[0-9]" "$OUT/bench.log" | tee -a "$SUMMARY"

if [ -n "${PROFILE_BATCH:-}" ]; then
  for f in awq bf16; do
    q=(); [ "$f" = bf16 ] || q=(--quant "$f")
    PAGODA_CUDA_PROFILE=1 run_step 40 "$OUT/bench.log" "profile $f decode b$PROFILE_BATCH" \
      "$T/pagoda-bench" --model qwen2.5-7b "${q[@]}" --batches "$PROFILE_BATCH" --offline 0 \
      --no-prefill --tag "${f}_eager_b$PROFILE_BATCH"
  done
  grep "^profile" "$OUT/bench.log" | tee -a "$SUMMARY"
fi
if [ -n "${WGMMA_AB:-}" ]; then  # WGMMA_AB="32,64,128": the mma.sync tiles at those batches
  PAGODA_CUDA_INT4_WGMMA=0 run_step 40 "$OUT/bench.log" "awq decode with the mma.sync tiles" \
    "$T/pagoda-bench" --model qwen2.5-7b --quant awq --batches "$WGMMA_AB" --offline 0 \
    --no-prefill --tag awq_wgmma0
  grep "awq_wgmma0" "$OUT/bench.log" | grep decode | tee -a "$SUMMARY"
fi
if [ "${SKIP_AB:-0}" = 1 ]; then
  note "total $(( $(date +%s) - START )) s"
  rm -rf "$WORK"
  exit 0
fi
# Where a decode step's time goes (eager, per kernel kind), and the fused GEMV against
# dequantize + cuBLAS at batch 1.
PAGODA_CUDA_PROFILE=1 run_step 40 "$OUT/bench.log" "profile awq decode b1" "$T/pagoda-bench" \
  --model qwen2.5-7b --quant awq --batches 1 --offline 0 --no-prefill --tag awq_eager
grep "^profile" "$OUT/bench.log" | tee -a "$SUMMARY"
# q4: the streaming int4 product (PAGODA_CUDA_INT4_GEMV=0: the q3 product, unfused layer), the
# fused decode layer (PAGODA_CUDA_FUSE=0: ten kernels a layer) and its norms inside the products
# (PAGODA_CUDA_INT4_XS=0: rms_normalize kernels), each switched off alone.
PAGODA_CUDA_INT4_GEMV=0 run_step 40 "$OUT/bench.log" "awq decode with the q3 product" \
  "$T/pagoda-bench" --model qwen2.5-7b --quant awq --batches 1,8 --offline 0 --no-prefill \
  --tag awq_int4gemv0
PAGODA_CUDA_FUSE=0 run_step 40 "$OUT/bench.log" "awq decode unfused" \
  "$T/pagoda-bench" --model qwen2.5-7b --quant awq --batches 1,8 --offline 0 --no-prefill \
  --tag awq_fuse0
PAGODA_CUDA_INT4_XS=0 run_step 40 "$OUT/bench.log" "awq decode, norms as kernels" \
  "$T/pagoda-bench" --model qwen2.5-7b --quant awq --batches 1,8 --offline 0 --no-prefill \
  --tag awq_int4xs0
grep -E "awq_int4gemv0|awq_fuse0|awq_int4xs0" "$OUT/bench.log" | tee -a "$SUMMARY"
# int4 in mma fragment order (q3) against the q2 kernels (canonical layout), and the fragment
# product at every batch size against the dequantize + cuBLAS route above 32 tokens.
PAGODA_CUDA_QUANT_FRAG=0 run_step 60 "$OUT/bench.log" "awq decode with the q2 kernels" \
  "$T/pagoda-bench" --model qwen2.5-7b --quant awq --batches 1,8,32,128 --offline 0 \
  --no-prefill --tag awq_q2
grep "awq_q2" "$OUT/bench.log" | tee -a "$SUMMARY"
PAGODA_CUDA_QUANT_FRAG_ROWS=128 run_step 60 "$OUT/bench.log" \
  "awq decode through the fragment product at every batch" "$T/pagoda-bench" \
  --model qwen2.5-7b --quant awq --batches 32,64,128 --offline 0 --no-prefill --tag awq_frag_all
grep "frag_all" "$OUT/bench.log" | tee -a "$SUMMARY"
note "total $(( $(date +%s) - START )) s"
rm -rf "$WORK"
