#!/bin/sh
# Regenerates docs/screenshots/*.png (1280x800) from a build folder:
#   tests/ui/take-screenshots.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
cmake --build "$build" --target pagoda_screenshots
QT_QPA_PLATFORM=offscreen "$build/tests/pagoda_screenshots" "$root/docs/screenshots"
ls -l "$root/docs/screenshots"
