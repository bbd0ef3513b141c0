#!/usr/bin/env bash
# The package on a clean system: builds the .deb (./dev.sh package), checks it with lintian
# (errors fail), makes a minimal Debian 12 root with mmdebstrap, installs the package there with
# `apt-get install ./pagoda_*.deb` (no recommended packages, so only what it declares counts)
# and runs packaging/clean-root-checks.sh inside it. A dependency missing from the package makes
# it fail. Needs root (mmdebstrap's root mode) and the Debian archive; takes minutes.
#
#   packaging/test-clean-root.sh [--deb FILE] [--drop-depends PKG] [--keep-root DIR]
#     --deb FILE            test this package instead of building one
#     --drop-depends PKG    first take PKG out of the package's Depends (shows that the test fails)
#     --keep-root DIR       leave the root in DIR for a look around (default: deleted)
# Environment: PAGODA_DEB_BUILD_DIR (default build-deb), PAGODA_DEB_MIRROR, PAGODA_DEB_SUITE.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
deb="" drop="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --drop-depends) drop=$2; shift 2 ;;
    --keep-root) keep=$2; shift 2 ;;
    *) echo "usage: $0 [--deb FILE] [--drop-depends PKG] [--keep-root DIR]" >&2; exit 2 ;;
  esac
done
suite=${PAGODA_DEB_SUITE:-bookworm}
mirror=${PAGODA_DEB_MIRROR:-http://deb.debian.org/debian}
security=${PAGODA_DEB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
start=$SECONDS
step() { printf '== %s (%ds)\n' "$*" $((SECONDS - start)); }

if [ -z "$deb" ]; then
  step "building the package"
  build=${PAGODA_DEB_BUILD_DIR:-build-deb}
  (cd "$src" && ./dev.sh package)
  case "$build" in /*) ;; *) build=$src/$build ;; esac
  deb=$(ls -t "$build"/pagoda_*.deb | head -1)
fi
for tool in mmdebstrap lintian dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: ./dev.sh package installs it" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pagoda-clean-root.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/pkg"
name=$(basename "$deb")
if [ -n "$drop" ]; then
  step "taking $drop out of Depends"
  dpkg-deb -R "$deb" "$work/unpacked"
  # Removes every relation (with its alternatives) that names the package.
  awk -v drop="$drop" '
    /^Depends: / {
      n = split(substr($0, 10), rel, ", "); out = ""
      for (i = 1; i <= n; i++) {
        split(rel[i], alt, " *[|] *"); named = 0
        for (a in alt) { sub(/ .*/, "", alt[a]); if (alt[a] == drop) named = 1 }
        if (!named) out = out (out == "" ? "" : ", ") rel[i]
      }
      print "Depends: " out; next
    }
    { print }' "$work/unpacked/DEBIAN/control" > "$work/control"
  if cmp -s "$work/control" "$work/unpacked/DEBIAN/control"; then
    echo "$drop is not in the package's Depends" >&2
    exit 2
  fi
  cp "$work/control" "$work/unpacked/DEBIAN/control"
  dpkg-deb --root-owner-group -Zxz -b "$work/unpacked" "$work/pkg/$name" >/dev/null
else
  cp "$deb" "$work/pkg/$name"
fi
echo "package: $name"
dpkg-deb -f "$work/pkg/$name" Depends Recommends Suggests

step "lintian"
# Errors fail the test; warnings are printed.
lintian --fail-on error --tag-display-limit 0 "$work/pkg/$name"

step "clean $suite root with the package (mmdebstrap)"
cp "$src/packaging/clean-root-checks.sh" "$work/pkg/"
root=${keep:-$work/root}
rm -rf "$root"
# The hooks run on the host with the root as $1; mmdebstrap mounts /proc and /dev inside.
mmdebstrap --variant=apt --mode=root \
  --customize-hook="cp '$work/pkg/$name' '$work/pkg/clean-root-checks.sh' \"\$1/tmp/\"" \
  --customize-hook="chroot \"\$1\" sh -c 'cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ./$name'" \
  --customize-hook="chroot \"\$1\" sh /tmp/clean-root-checks.sh" \
  "$suite" "$root" \
  "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main"
step "passed"
