#!/usr/bin/env bash
# `pagoda-cli serve` measured from outside (docs/benchmarks.md): for each shape, a random bf16
# checkpoint (tests/gpu/make_random_checkpoint.py) in a temporary folder, the same workload
# in-process first (pagoda-bench --engine: the figure the server is compared with), then the
# server on 127.0.0.1 with pagoda-bench's limits and tests/bench/serve_bench.py against it.
# Run by run-gpu-checks.sh, or alone on the GPU machine: `bash tests/gpu/device-run.sh serve`.
#
# Environment (all optional):
#   SERVE_SHAPES   bench_shapes.h shapes (qwen2.5-0.5b qwen2.5-7b)
#   SERVE_MODELS   model folders served as they are, besides (none; a local dry run on the CPU:
#                  SERVE_SHAPES= SERVE_MODELS=resources/models/demo-chat SERVE_DEVICE=cpu)
#   SERVE_DEVICE   pagoda-cli serve --device (cuda)
#   SERVE_BENCH_ARGS  more serve_bench.py options (e.g. "--requests 8 --min-len 10 --max-len 40")
#   SKIP_ENGINE=1  no in-process reference (it is skipped anyway without pagoda-bench)
#   BUILD_DIR      build folder holding pagoda-cli (and pagoda-bench) (build-gpu)
#   SKIP_BUILD=1   use BUILD_DIR as it is; otherwise its two targets are built (configured first
#                  with CUDA on when the folder is new)
#   OUT            logs: serve-NAME.log per shape or folder, serve.log (RESULT lines) (a temp dir)
# Exits non-zero when any step failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-gpu}
SERVE_SHAPES=${SERVE_SHAPES-"qwen2.5-0.5b qwen2.5-7b"}
SERVE_MODELS=${SERVE_MODELS:-}
SERVE_DEVICE=${SERVE_DEVICE:-cuda}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
WORK=$(mktemp -d)  # checkpoints (7B: 15 GB) stay out of $OUT, which is copied back
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILED=0
note() { echo "== $1" | tee -a "$OUT/serve.log"; }

source tests/gpu/unpack-deps.sh
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    deps=()
    [ -d .deps/usr ] && deps=(-DPAGODA_DEPS_PREFIX="$ROOT/.deps")
    cmake -S . -B "$BUILD_DIR" -G Ninja -DPAGODA_GUI=OFF -DPAGODA_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release "${deps[@]}" \
      >>"$OUT/serve-build.log" 2>&1 || { note "serve: configure FAILED"; exit 1; }
  fi
  targets=(pagoda-cli)
  grep -qE "^PAGODA_CUDA:[A-Z]+=ON" "$BUILD_DIR/CMakeCache.txt" && targets+=(pagoda-bench)
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >>"$OUT/serve-build.log" 2>&1 ||
    { note "serve: build FAILED"; tail -20 "$OUT/serve-build.log"; exit 1; }
fi
CLI=$BUILD_DIR/app/cli/pagoda-cli
BENCH=$BUILD_DIR/tests/pagoda-bench

# serve_one NAME DIR [SHAPE]: the in-process reference (shapes only), then the server.
serve_one() {
  local name=$1 dir=$2 shape=${3:-} log=$OUT/serve-$1.log
  if [ -n "$shape" ] && [ "${SKIP_ENGINE:-0}" != 1 ] && [ -x "$BENCH" ]; then
    if timeout 400 "$BENCH" --model "$shape" --engine "$dir" >>"$log" 2>&1; then
      note "pagoda-bench --engine $name: passed"
    else
      note "pagoda-bench --engine $name: FAILED or timed out"
      FAILED=1
    fi
  fi
  # --port 0: the first line of stdout is the URL, printed once the model is loaded.
  local url_file=$WORK/$name.url
  "$CLI" serve --model "$dir" --host 127.0.0.1 --port 0 --device "$SERVE_DEVICE" \
    --max-num-seqs 256 --max-num-batched-tokens 8192 --max-concurrent 256 --quiet \
    >"$url_file" 2>>"$log" &
  SERVER_PID=$!
  local waited=0
  while [ ! -s "$url_file" ] && kill -0 "$SERVER_PID" 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  local url
  url=$(head -1 "$url_file")
  if [ -z "$url" ]; then
    note "serve $name: the server did not start"
    tail -5 "$log"
    FAILED=1
  else
    # shellcheck disable=SC2086  # SERVE_BENCH_ARGS is a list of options
    if timeout 550 python3 tests/bench/serve_bench.py --url "$url" --wait 60 --name "$name" \
        --tokenizer "$dir" ${SERVE_BENCH_ARGS:-} >>"$log" 2>&1; then
      note "serve_bench $name: passed"
    else
      note "serve_bench $name: FAILED or timed out"
      FAILED=1
    fi
  fi
  kill -INT "$SERVER_PID" 2>/dev/null
  for _ in $(seq 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=
  grep -E '^(RESULT|workload:)' "$log" | tee -a "$OUT/serve.log"
}

for m in $SERVE_SHAPES; do
  dir=$WORK/$m
  if timeout 300 python3 tests/gpu/make_random_checkpoint.py "$m" "$dir" >>"$OUT/serve-$m.log" 2>&1; then
    tail -1 "$OUT/serve-$m.log"
    serve_one "$m" "$dir" "$m"
  else
    note "random checkpoint $m: FAILED"
    tail -3 "$OUT/serve-$m.log"
    FAILED=1
  fi
  rm -rf "$dir"
done
for d in $SERVE_MODELS; do
  serve_one "$(basename "$d")" "$d"
done
exit $FAILED
