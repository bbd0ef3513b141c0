#!/usr/bin/env bash
# Builds the engine and the CUDA backend on a GPU machine, runs the GPU tests (and
# compute-sanitizer memcheck on the kernel tests), then pagoda-bench and the transformers
# baseline side by side, and prints a table last.
#
# Environment (all optional):
#   BUILD_DIR      build folder (build-gpu)
#   BENCH_MODELS   shapes for pagoda-bench (qwen2.5-0.5b qwen2.5-7b qwen3-0.6b llama3-8b)
#   OFFLINE_MODELS shapes that also run the 256-request offline workload (qwen3-0.6b)
#   HF_MODELS      shapes the transformers baseline runs (qwen2.5-0.5b qwen2.5-7b)
#   HF_OFFLINE_MODELS  shapes whose baseline also runs the offline workload (qwen2.5-0.5b)
#   HF_OFFLINE     requests in the baseline's offline run (64: one generate() batch of the same
#                  length distribution; all 256 take transformers several minutes)
#   PROFILE_MODELS shapes that also run a decode-b1 and a prefill step with per-kernel-kind
#                  device timings (PAGODA_CUDA_PROFILE=1, eager)
#   QUANT_FORMATS  pagoda-bench --quant formats on the 7B shape (awq gptq4 fp8 gptq8; "" none)
#   GRAMMAR_SHAPES bench_grammar shapes, constrained vs unconstrained (qwen2.5-0.5b; "" none)
#   SERVE_SHAPES   shapes served by `pagoda-cli serve` from a random checkpoint and measured from
#                  outside by serve_bench.py, next to pagoda-bench --engine in-process
#                  (tests/gpu/serve-checks.sh; qwen2.5-0.5b qwen2.5-7b; "" none)
#   SKIP_BENCH=1   tests only
#   SKIP_MEMCHECK=1  no compute-sanitizer pass
#   OUT            folder for logs (a temporary one otherwise)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-gpu}
BENCH_MODELS=${BENCH_MODELS:-"qwen2.5-0.5b qwen2.5-7b qwen3-0.6b llama3-8b"}
OFFLINE_MODELS=${OFFLINE_MODELS:-"qwen3-0.6b"}
HF_MODELS=${HF_MODELS-"qwen2.5-0.5b qwen2.5-7b"}
HF_OFFLINE=${HF_OFFLINE:-64}
HF_OFFLINE_MODELS=${HF_OFFLINE_MODELS:-"qwen2.5-0.5b"}
PROFILE_MODELS=${PROFILE_MODELS-"qwen2.5-0.5b qwen2.5-7b"}
QUANT_FORMATS=${QUANT_FORMATS-"awq gptq4 fp8 gptq8"}
GRAMMAR_SHAPES=${GRAMMAR_SHAPES-"qwen2.5-0.5b"}
SERVE_SHAPES=${SERVE_SHAPES-"qwen2.5-0.5b qwen2.5-7b"}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
STATUS=()
note() { STATUS+=("$1"); echo "== $1"; }

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv || true

deps=()
[ -d "$ROOT/.deps/usr" ] && deps=(-DPAGODA_DEPS_PREFIX="$ROOT/.deps")
if ! cmake -S . -B "$BUILD_DIR" -G Ninja -DPAGODA_GUI=OFF -DPAGODA_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release "${deps[@]}" >"$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log"
  echo "configure FAILED"
  exit 1
fi
if ! cmake --build "$BUILD_DIR" -j"$(nproc)" --target pagoda_cuda test_cuda_kernels test_cuda_e2e \
    test_cuda_attention_mma test_cuda_sampling test_cuda_quant test_cuda_grammar_mask \
    test_quant_weights test_step_plan pagoda-bench bench_grammar pagoda-cli >>"$OUT/build.log" 2>&1; then
  grep -E "error|FAILED" "$OUT/build.log" | head -40
  echo "build FAILED"
  exit 1
fi
note "build: ok"

# The GPU tests (ctest exits non-zero on a failure; a skip means no GPU was seen).
if (cd "$BUILD_DIR" && ctest -L gpu --output-on-failure --timeout 300) >"$OUT/ctest.log" 2>&1; then
  note "ctest -L gpu: passed"
else
  note "ctest -L gpu: FAILED"
fi
# The host-side step plan that every CUDA step goes through (no GPU needed).
if (cd "$BUILD_DIR" && ctest -R '^step_plan$' --output-on-failure) >>"$OUT/ctest.log" 2>&1; then
  note "step plan: passed"
else
  note "step plan: FAILED"
fi
# ctest shows a passing test's output only with -V: keep both programs' reports.
"$BUILD_DIR/tests/test_cuda_kernels" >>"$OUT/ctest.log" 2>&1
"$BUILD_DIR/tests/test_cuda_e2e" >>"$OUT/ctest.log" 2>&1
PAGODA_CUDA_GPU_SAMPLING=0 PAGODA_CUDA_MMA_ATTENTION=0 "$BUILD_DIR/tests/test_cuda_e2e" \
  >"$OUT/e2e-old-paths.log" 2>&1 && note "test_cuda_e2e, host sampling + old attention: passed" ||
  note "test_cuda_e2e, host sampling + old attention: FAILED"
"$BUILD_DIR/tests/test_cuda_attention_mma" >>"$OUT/ctest.log" 2>&1
"$BUILD_DIR/tests/test_cuda_sampling" >>"$OUT/ctest.log" 2>&1
grep -E "graphs=|gap|FAIL|SKIP|passed|seed|TFLOP|mismatch|rows|ms" "$OUT/ctest.log" | head -80

# The whole engine on the GPU, through pagoda-cli: backend choice, greedy tokens against the
# transformers goldens, and demo-chat's answer.
if python3 tests/gpu/engine_e2e.py "$BUILD_DIR" >"$OUT/engine-e2e.log" 2>&1; then
  note "engine on CUDA via pagoda-cli: passed"
else
  note "engine on CUDA via pagoda-cli: FAILED"
fi
cat "$OUT/engine-e2e.log"

if [ "${SKIP_MEMCHECK:-0}" != 1 ] && command -v compute-sanitizer >/dev/null; then
  for t in ${MEMCHECK_TESTS:-test_cuda_kernels test_cuda_sampling test_cuda_attention_mma test_cuda_quant test_cuda_grammar_mask}; do
    if PAGODA_SKIP_TIMING=1 timeout "${MEMCHECK_TIMEOUT:-150}" compute-sanitizer --tool memcheck --error-exitcode 9 \
        "$BUILD_DIR/tests/$t" >"$OUT/memcheck-$t.log" 2>&1; then
      note "memcheck $t: clean"
    else
      note "memcheck $t: ERRORS or timeout (rc $?)"
      grep -E "ERROR SUMMARY|Invalid|FAIL" "$OUT/memcheck-$t.log" | head -20
    fi
    grep "ERROR SUMMARY" "$OUT/memcheck-$t.log"
  done
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
  # The measured ceilings: bf16 GEMM rate and device copy bandwidth, through PyTorch.
  python3 - >>"$OUT/bench.log" 2>&1 <<'EOF'
import torch
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
for _ in range(3): a @ b
s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
s.record()
for _ in range(20): a @ b
e.record(); torch.cuda.synchronize()
print(f"RESULT device gemm_bf16_tflops {2 * 8192**3 * 20 / (s.elapsed_time(e) / 1e3) / 1e12:.1f}")
x = torch.empty(2**30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
y.copy_(x); s.record()
for _ in range(10): y.copy_(x)
e.record(); torch.cuda.synchronize()
print(f"RESULT device copy_tb_s {2 * 2**30 * 10 / (s.elapsed_time(e) / 1e3) / 1e12:.2f}")
EOF
  grep RESULT "$OUT/bench.log"
  for m in $BENCH_MODELS; do
    off=0
    case " $OFFLINE_MODELS " in *" $m "*) off=256 ;; esac
    timeout 240 "$BUILD_DIR/tests/pagoda-bench" --model "$m" --offline $off 2>&1 | tee -a "$OUT/bench.log" ||
      note "pagoda-bench $m: FAILED or timed out"
  done
  # Quantized 7B shapes (docs/quantization.md) and constrained decoding (docs/structured-output.md).
  for f in $QUANT_FORMATS; do
    timeout 120 "$BUILD_DIR/tests/pagoda-bench" --model qwen2.5-7b --quant "$f" --offline 0 \
      --tag "_$f" 2>&1 | tee -a "$OUT/bench.log" || note "pagoda-bench --quant $f: FAILED or timed out"
  done
  for m in $GRAMMAR_SHAPES; do
    timeout 150 "$BUILD_DIR/tests/bench_grammar" --shape "$m" --requests 32 --tokens 128 2>&1 |
      tee -a "$OUT/grammar-bench.log" || note "bench_grammar $m: FAILED or timed out"
  done
  # Where a step's time goes: device time per kernel kind (eager, events around each launch).
  for m in $PROFILE_MODELS; do
    PAGODA_CUDA_PROFILE=1 timeout 120 "$BUILD_DIR/tests/pagoda-bench" --model "$m" --batches 1 \
      --offline 0 --no-prefill --tag eager 2>&1 | sed "s/^profile/profile $m decode b1:/" |
      tee -a "$OUT/bench.log"
    PAGODA_CUDA_PROFILE=1 timeout 120 "$BUILD_DIR/tests/pagoda-bench" --model "$m" --batches "" \
      --offline 0 --tag eager 2>&1 | grep ^profile | sed "s/^profile/profile $m prefill 8x1024:/" |
      tee -a "$OUT/bench.log"
  done
  # The server from outside (serve-SHAPE.log each; RESULT lines in serve.log).
  if [ -n "$SERVE_SHAPES" ]; then
    if SERVE_SHAPES="$SERVE_SHAPES" SERVE_MODELS="" SKIP_BUILD=1 BUILD_DIR="$BUILD_DIR" OUT="$OUT" \
        bash tests/gpu/serve-checks.sh; then
      note "serve ($SERVE_SHAPES): passed"
    else
      note "serve ($SERVE_SHAPES): FAILED (serve.log)"
    fi
  fi
  for m in $HF_MODELS; do
    off=0
    case " $HF_OFFLINE_MODELS " in *" $m "*) off=$HF_OFFLINE ;; esac
    PYTHONUNBUFFERED=1 timeout 200 python3 tests/bench/hf_baseline.py --model "$m" --offline $off \
      --offline-batch 64 2>&1 | grep -v Warning | tee -a "$OUT/hf.log" ||
      note "hf_baseline $m: FAILED or timed out"
  done
fi

# The table: pagoda-bench next to transformers, and the 7B prefill against the GEMM peak.
grep -h '^profile' "$OUT/bench.log" 2>/dev/null
cat "$OUT"/bench.log "$OUT"/hf.log "$OUT"/serve.log 2>/dev/null | grep '^RESULT' | sort -u | python3 "$ROOT/tests/gpu/results_table.py"
printf '%s\n' "${STATUS[@]}"
