#!/bin/sh
# Runs inside the clean root that packaging/test-clean-root.sh made, after the package was
# installed: the installed app must start, answer and pass its self-test with only what the
# package declared. Any failure exits non-zero.
set -eu
export HOME=/tmp/home LANG=C.UTF-8
mkdir -p "$HOME"
fail() { echo "clean-root check FAILED: $*" >&2; exit 1; }

echo "-- files outside /usr (a package must not touch \$HOME or /etc)"
outside=$(dpkg -L pagoda | grep -v -e '^/usr' -e '^/\.$' || true)
[ -z "$outside" ] || fail "installed outside /usr: $outside"

echo "-- libraries"
for bin in /usr/bin/pagoda /usr/bin/pagoda-cli; do
  missing=$(ldd "$bin" | grep 'not found' || true)
  [ -z "$missing" ] || fail "$bin: $missing"
done

echo "-- pagoda --version"
version=$(pagoda --version) || fail "pagoda --version exited $?"
echo "$version"
case "$version" in "pagoda "[0-9]*) ;; *) fail "unexpected version line: $version" ;; esac

echo "-- pagoda-cli generate on the bundled demo model"
answer=$(pagoda-cli generate --model /usr/share/pagoda/models/demo-chat \
  --chat "What is the capital of China?") || fail "pagoda-cli generate exited $?"
echo "$answer"
# The demo model's documented answer (resources/models/demo-chat/README.md).
echo "$answer" | grep -q "Beijing" || fail "the demo model did not answer Beijing"

echo "-- pagoda --self-test (offscreen)"
pagoda --self-test || fail "pagoda --self-test exited $?"

echo "-- launcher entry, metadata, icons"
for f in /usr/share/applications/io.github.pagoda_app.Pagoda.desktop \
         /usr/share/metainfo/io.github.pagoda_app.Pagoda.metainfo.xml \
         /usr/share/icons/hicolor/scalable/apps/pagoda.svg \
         /usr/share/icons/hicolor/48x48/apps/pagoda.png \
         /usr/share/icons/hicolor/256x256/apps/pagoda.png; do
  [ -s "$f" ] || fail "missing $f"
done

echo "-- uninstalling leaves the user's data"
mkdir -p "$HOME/.local/share/pagoda/models/someone/model" "$HOME/.config/pagoda"
echo '{}' > "$HOME/.local/share/pagoda/models/someone/model/config.json"
echo '[models]' > "$HOME/.config/pagoda/pagoda.conf"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pagoda >/dev/null
[ ! -e /usr/bin/pagoda ] || fail "/usr/bin/pagoda still there after purge"
[ -s "$HOME/.local/share/pagoda/models/someone/model/config.json" ] || fail "purge removed a model"
[ -s "$HOME/.config/pagoda/pagoda.conf" ] || fail "purge removed the settings"
echo "clean-root checks passed"
