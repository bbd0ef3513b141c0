#!/bin/sh
# Regenerates docs/screenshots/*.png: every page, the chat with a conversation and the first-run
# welcome, at 1024x700 and 1600x1000, English and Chinese,
# under Xvfb (a real X server, the xcb platform with its fonts and the SVG icon plugin) and a
# fresh HOME, then reduced to 256-colour PNGs so that the folder stays small:
#   tests/ui/take-screenshots.sh [build-dir]        (or ./dev.sh screenshots)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out="$root/docs/screenshots"
cmake --build "$build" --target pagoda_screenshots pagoda_chat_screenshots
# Icons need Qt's SVG plugin; without it every icon would be blank.
ls /usr/lib/*/qt6/plugins/imageformats/libqsvg.so >/dev/null 2>&1 ||
  { echo "libqt6svg6 is not installed (apt-get install -y libqt6svg6)" >&2; exit 1; }
home=$(mktemp -d) chat_home=$(mktemp -d)
trap 'rm -rf "$home" "$chat_home"' EXIT
rm -f "$out"/*.png
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
  LANG=C.UTF-8 QT_QPA_PLATFORM=xcb \
  xvfb-run -a -s "-screen 0 1700x1100x24 -dpi 96" "$build/tests/pagoda_screenshots" "$out"
# The chat page with a conversation and the first-run welcome, the same way (its own fresh HOME:
# the welcome is what a first start shows).
HOME="$chat_home" XDG_CONFIG_HOME="$chat_home/.config" XDG_DATA_HOME="$chat_home/.local/share" \
  LANG=C.UTF-8 QT_QPA_PLATFORM=xcb \
  xvfb-run -a -s "-screen 0 1700x1100x24 -dpi 96" "$build/tests/pagoda_chat_screenshots" "$out"
for png in "$out"/*.png; do convert "$png" -colors 256 "PNG8:$png"; done
du -ch "$out"/*.png | tail -1
