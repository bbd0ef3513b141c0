#!/usr/bin/env bash
# Usage: tests/bench/bench_hub_before.sh BUILD_DIR [REV]
# Builds tests/bench/bench_hub.cpp (without HUB_BENCH_NEW) against the hub code of REV (default
# f360504: the cpp-httplib client before issue 14) into BUILD_DIR/before/bench_hub_before, for
# the before/after figures in docs/hub.md. BUILD_DIR must already hold engine/util's library.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
rev=${2:-f360504}
out=$build/before
rm -rf "$out/src" && mkdir -p "$out/src"
git -C "$repo" archive "$rev" app/hub tests/app/fake_hub | tar -x -C "$out/src"
S=$out/src
g++ -std=c++20 -O2 -DNDEBUG -DCPPHTTPLIB_OPENSSL_SUPPORT -DCPPHTTPLIB_ZLIB_SUPPORT \
  -DCPPHTTPLIB_BROTLI_SUPPORT -I"$S/app" -I"$repo/engine" -I"$S/tests/app/fake_hub" \
  "$S/app/hub/http.cpp" "$S/app/hub/hub_client.cpp" "$S/app/hub/download_queue.cpp" \
  "$S/app/hub/progress_text.cpp" "$S/app/hub/repo_path.cpp" "$S/app/hub/sha256.cpp" \
  "$S/tests/app/fake_hub/fake_hub.cpp" "$repo/tests/bench/bench_hub.cpp" \
  "$build/engine/util/libpagoda_util.a" -lcpp-httplib -lssl -lcrypto -lpthread \
  -o "$out/bench_hub_before"
echo "$out/bench_hub_before"
