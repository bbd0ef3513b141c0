#!/bin/sh
# Regenerates docs/screenshots/*.png from a build folder:
#   tests/ui/take-screenshots.sh [build-dir]
# Every page at 1280x800 (offscreen), then the chat page and the first-run welcome at 1024x700
# and 1600x1000 under a real X server (Xvfb when there is no $DISPLAY) with a fresh HOME.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
cmake --build "$build" --target pagoda_screenshots pagoda_chat_screenshots
QT_QPA_PLATFORM=offscreen "$build/tests/pagoda_screenshots" "$root/docs/screenshots"
home=$(mktemp -d)
if [ -n "${DISPLAY:-}" ]; then
  HOME=$home QT_QPA_PLATFORM=xcb "$build/tests/pagoda_chat_screenshots" "$root/docs/screenshots"
else
  HOME=$home QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1920x1200x24" \
    "$build/tests/pagoda_chat_screenshots" "$root/docs/screenshots"
fi
rm -rf "$home"
ls -l "$root/docs/screenshots"
