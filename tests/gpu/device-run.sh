#!/usr/bin/env bash
# Entry point for one call on the lent GPU machine (Ubuntu 24.04, no network): unpacks the Debian
# -dev packages carried in .deps/debs (unpack-deps.sh), then runs run-gpu-checks.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/gpu/unpack-deps.sh
exec bash tests/gpu/run-gpu-checks.sh "$@"
