#!/usr/bin/env bash
# Entry point for one call on the lent GPU machine (Ubuntu 24.04, no network): unpacks the Debian
# -dev packages carried in .deps/debs (unpack-deps.sh), then runs run-gpu-checks.sh, or with
# `serve` only serve-checks.sh (build pagoda-cli and pagoda-bench, random checkpoints,
# `pagoda-cli serve` measured by serve_bench.py; a few minutes). Both need nothing carried
# besides .deps: the scripts, the tokenizer fixtures and the sources are tracked files, and the
# checkpoints are written to a temporary folder on the machine (outside $OUT).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/gpu/unpack-deps.sh
if [ "${1:-}" = serve ]; then
  shift
  exec bash tests/gpu/serve-checks.sh "$@"
fi
exec bash tests/gpu/run-gpu-checks.sh "$@"
