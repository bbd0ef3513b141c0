#!/usr/bin/env bash
# The decode work of issue 22 in one call on the GPU machine: builds the CUDA backend, checks it
# (kernel tests, the engine against the CPU with the fused decode and programmatic launches on
# and off, demo-chat's answers through pagoda-cli), then pagoda-bench's decode steps with each
# change switched off in turn (PAGODA_CUDA_FUSE=0, PAGODA_CUDA_FUSE_ROPE=0, PAGODA_CUDA_PDL=0),
# and optionally a per-kernel profile of a batch-1 decode step (ncu). Logs under $OUT.
#
# Environment (all optional):
#   BUILD_DIR       build folder (build-gpu)
#   AB_SHAPES       shapes for the on/off comparison (qwen2.5-0.5b qwen2.5-7b)
#   AB_BATCHES      their batch sizes (1,8,32)
#   AB_VARIANTS     the environments compared, separated by ";" (default: everything on; the RoPE
#                   epilogue off; the fused decode off; PDL off; both off); AB_PROMPT: their
#                   context (128)
#   TESTS           the GPU tests run (test_cuda_kernels test_cuda_gemv_rope
#                   test_cuda_attention_mma test_cuda_sampling test_cuda_grammar_mask test_cuda_quant)
#   QUANT_FORMATS   pagoda-bench --quant formats on the 7B shape, batches 1 and 8 ("": none)
#   GRAMMAR_SHAPES  bench_grammar shapes, constrained vs unconstrained ("": none)
#   SERVE_SHAPES    shapes measured through pagoda-cli serve by serve-checks.sh ("": none)
#   CTX_SHAPES      shapes whose decode is also measured at context 1024 ("": none)
#   DEADLINE_S      seconds after which the stages left are skipped (the call's limit, minus a
#                   margin), so a long run still ends with its summary (unset: no limit)
#   FULL_SHAPES     shapes for the full pagoda-bench run (batches 1..256, context 128 and 1024,
#                   prefill, offline workload) (qwen2.5-0.5b qwen2.5-7b)
#   OFFLINE_SHAPES  shapes whose full run includes the 256-request offline workload (qwen2.5-0.5b)
#   NCU_SHAPES      shapes profiled per kernel with ncu at batch 1 ("": none)
#   SKIP_TESTS=1    benchmarks only
#   E2E_OFF=0       test_cuda_e2e only with the changes on (not also with them off)
#   ENGINE_E2E=0    skip demo-chat's answers through pagoda-cli
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/gpu/unpack-deps.sh
BUILD_DIR=${BUILD_DIR:-build-gpu}
AB_SHAPES=${AB_SHAPES-"qwen2.5-0.5b qwen2.5-7b"}
AB_BATCHES=${AB_BATCHES:-1,8,32}
FULL_SHAPES=${FULL_SHAPES-"qwen2.5-0.5b qwen2.5-7b"}
OFFLINE_SHAPES=${OFFLINE_SHAPES-"qwen2.5-0.5b"}
NCU_SHAPES=${NCU_SHAPES-""}
QUANT_FORMATS=${QUANT_FORMATS-""}
GRAMMAR_SHAPES=${GRAMMAR_SHAPES-""}
SERVE_SHAPES=${SERVE_SHAPES-""}
CTX_SHAPES=${CTX_SHAPES-""}
DEADLINE_S=${DEADLINE_S:-0}
AB_VARIANTS=${AB_VARIANTS-";PAGODA_CUDA_FUSE_ROPE=0;PAGODA_CUDA_FUSE=0;PAGODA_CUDA_PDL=0;PAGODA_CUDA_FUSE=0 PAGODA_CUDA_PDL=0"}
AB_PROMPT=${AB_PROMPT:-128}
TESTS=${TESTS-"test_cuda_kernels test_cuda_gemv_rope test_cuda_attention_mma test_cuda_sampling test_cuda_grammar_mask test_cuda_quant"}
# time_left SECONDS: whether a stage of about that long still fits before DEADLINE_S.
time_left() { [ "$DEADLINE_S" = 0 ] || [ $((SECONDS + $1)) -lt "$DEADLINE_S" ]; }
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
STATUS=()
note() { STATUS+=("$1"); echo "== $1"; }

deps=()
[ -d .deps/usr ] && deps=(-DPAGODA_DEPS_PREFIX="$PWD/.deps")
cmake -S . -B "$BUILD_DIR" -G Ninja -DPAGODA_GUI=OFF -DPAGODA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_BUILD_TYPE=Release "${deps[@]}" >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
if ! cmake --build "$BUILD_DIR" -j"$(nproc)" --target pagoda_cuda test_cuda_kernels test_cuda_e2e \
    test_cuda_gemv_rope test_cuda_attention_mma test_cuda_sampling test_cuda_grammar_mask test_cuda_quant test_step_plan pagoda-bench \
    pagoda-cli bench_grammar \
    >>"$OUT/build.log" 2>&1; then
  grep -E "error|FAILED" "$OUT/build.log" | head -40
  exit 1
fi
note "build: ok"
B=$BUILD_DIR/tests

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  for t in $TESTS; do
    if timeout 300 "$B/$t" >"$OUT/$t.log" 2>&1; then note "$t: passed"; else
      note "$t: FAILED"; grep -E "FAIL|error" "$OUT/$t.log" | head -20; fi
  done
  grep -hE "gemv|merged|embedding sums|timing" "$OUT"/test_cuda_*.log
  grep -E "gemv rope|FAIL" "$OUT/test_cuda_gemv_rope.log" 2>/dev/null | head -20
  grep -E "streaming variant|^  best|-> v[0-9]" "$OUT/test_cuda_quant.log" 2>/dev/null  # int4 per variant
  e2e_variants=("")
  [ "${E2E_OFF:-1}" = 1 ] &&
    e2e_variants+=("PAGODA_CUDA_FUSE_ROPE=0" "PAGODA_CUDA_FUSE=0 PAGODA_CUDA_PDL=0")
  for v in "${e2e_variants[@]}"; do
    log="$OUT/e2e${v:+-$(echo "$v" | tr -d ' =' | sed 's/PAGODA_CUDA_//g')}.log"
    if env $v timeout 300 "$B/test_cuda_e2e" >"$log" 2>&1; then
      note "test_cuda_e2e ${v:-(fused, PDL)}: passed"
    else
      note "test_cuda_e2e ${v:-(fused, PDL)}: FAILED"
    fi
    grep -E "agree|FAIL|graphs=" "$log" | head -40
  done
  if [ "${ENGINE_E2E:-1}" = 1 ]; then
    if python3 tests/gpu/engine_e2e.py "$BUILD_DIR" >"$OUT/engine-e2e.log" 2>&1; then
      note "engine on CUDA via pagoda-cli: passed"
    else
      note "engine on CUDA via pagoda-cli: FAILED"
    fi
    tail -15 "$OUT/engine-e2e.log"
  fi
fi

for m in $FULL_SHAPES; do
  time_left 90 || { note "bench $m: skipped (deadline)"; continue; }
  off=0
  case " $OFFLINE_SHAPES " in *" $m "*) off=256 ;; esac
  timeout 300 "$B/pagoda-bench" --model "$m" --offline $off 2>&1 | tee -a "$OUT/bench.log" | grep RESULT
done

for m in $GRAMMAR_SHAPES; do
  time_left 60 || { note "bench_grammar $m: skipped (deadline)"; continue; }
  timeout 150 "$B/bench_grammar" --shape "$m" --requests 32 --tokens 128 2>&1 |
    tee -a "$OUT/grammar-bench.log" | tail -8
done

for m in $SERVE_SHAPES; do
  case $m in *7b*) need=200 ;; *) need=90 ;; esac
  time_left $need || { note "serve $m: skipped (deadline)"; continue; }
  if SERVE_SHAPES=$m SKIP_BUILD=1 BUILD_DIR=$BUILD_DIR OUT=$OUT timeout 400 \
      bash tests/gpu/serve-checks.sh >>"$OUT/serve-run.log" 2>&1; then
    note "serve $m: passed"
  else
    note "serve $m: FAILED"
  fi
  grep RESULT "$OUT/serve.log" 2>/dev/null | grep -i "${m}" | tail -20
done

# On/off comparison: each change switched off alone, same binary, same run.
IFS=';' read -r -a ab_variants <<<"$AB_VARIANTS"
[ "${AB_VARIANTS: -1}" = ";" ] && ab_variants+=("")
for m in $AB_SHAPES; do
  for v in "${ab_variants[@]}"; do
    time_left 20 || { note "A/B $m $v: skipped (deadline)"; continue; }
    tag=$(echo "${v:-on}" | tr -d ' =' | sed 's/PAGODA_CUDA_//g')
    env $v timeout 200 "$B/pagoda-bench" --model "$m" --batches "$AB_BATCHES" --gen 64 \
      --prompt "$AB_PROMPT" --no-prefill --offline 0 --tag "$tag" 2>&1 | grep RESULT |
      tee -a "$OUT/ab.log"
  done
done

for f in $QUANT_FORMATS; do
  # int4 formats also with the streaming product (PAGODA_CUDA_INT4_GEMV=0), the norms inside the
  # products (PAGODA_CUDA_INT4_XS=0) or the fused layer (PAGODA_CUDA_FUSE=0) switched off.
  variants=("")
  case $f in awq | gptq4)
    variants+=("PAGODA_CUDA_INT4_GEMV=0" "PAGODA_CUDA_INT4_XS=0" "PAGODA_CUDA_FUSE=0") ;;
  esac
  for v in "${variants[@]}"; do
    time_left 40 || { note "quant $f $v: skipped (deadline)"; continue; }
    tag=$f$(echo "${v:+_$v}" | tr -d ' =' | sed 's/PAGODA_CUDA_//g')
    # (PAGODA_CUDA_INT4_TUNE_LOG: the streaming variant chosen for each linear shape at load)
    env PAGODA_CUDA_INT4_TUNE_LOG=1 $v timeout 120 "$B/pagoda-bench" --model qwen2.5-7b \
      --quant "$f" --batches 1,8 --no-prefill --offline 0 --tag "$tag" 2>&1 |
      grep -E "RESULT|^int4 streaming|-> v[0-9]" | tee -a "$OUT/quant.log"
  done
done

for m in $CTX_SHAPES; do
  time_left 60 || { note "context 1024 $m: skipped (deadline)"; continue; }
  timeout 200 "$B/pagoda-bench" --model "$m" --prompt 1024 --no-prefill --offline 0 --tag ctx1024 \
    2>&1 | tee -a "$OUT/bench.log" | grep RESULT
done

for m in $NCU_SHAPES; do
  # Kernel durations of batch-1 decode steps (graph nodes profiled one by one), summed by name.
  ncu --clock-control none --metrics gpu__time_duration.sum --csv --page raw \
    -k 'regex:gemv|rope|attention|embedding|rmsnorm|silu|greedy|sampl|argmax|topk|softmax' \
    --launch-skip 1500 --launch-count 600 \
    "$B/pagoda-bench" --model "$m" --batches 1 --gen 64 --no-prefill --offline 0 \
    >"$OUT/ncu-$m.csv" 2>"$OUT/ncu-$m.err"
  python3 - "$OUT/ncu-$m.csv" <<'EOF' | tee "$OUT/ncu-$m.txt"
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 5]
hi = next(i for i, r in enumerate(rows) if "Kernel Name" in r)
head, rows = rows[hi], rows[hi:]
name_i = head.index("Kernel Name"); t_i = head.index("gpu__time_duration.sum")
tot = collections.defaultdict(float); cnt = collections.Counter()
for r in rows[2:]:
    try: v = float(r[t_i].replace(",", ""))
    except ValueError: continue
    k = r[name_i].split("(")[0].replace("void ", "").replace("(anonymous namespace)::", "").replace("unnamed>::", "")
    tot[k] += v; cnt[k] += 1
n_embed = max(sum(v for k, v in cnt.items() if "embedding_kernel" in k), 1)
unit = rows[1][t_i]
scale = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3}.get(unit, 1e-3)
print(f"per decode step ({n_embed} steps seen), kernel: count, us (ncu unit {unit})")
for k in sorted(tot, key=lambda k: -tot[k]):
    print(f"  {k:40s} {cnt[k] / n_embed:6.1f} {tot[k] / n_embed * scale:9.1f}")
print(f"  total kernel time per step: {sum(tot.values()) / n_embed * scale:.1f} us")
EOF
  # One instance of each decode kernel in detail (throughput, occupancy, stall reasons).
  ncu --clock-control none --section SpeedOfLight --section Occupancy --section LaunchStats \
    --section WarpStateStats -k 'regex:attention_kernel|rope_store|gemv_kernel' \
    --launch-skip 1500 --launch-count 6 \
    "$B/pagoda-bench" --model "$m" --batches 1 --gen 64 --no-prefill --offline 0 \
    >"$OUT/ncu-detail-$m.txt" 2>&1
done

echo
printf '%s\n' "${STATUS[@]}"
