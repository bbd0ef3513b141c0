#!/usr/bin/env bash
# One entry point for people and CI on a fresh Debian 12 / Ubuntu 24.04 machine:
#   ./dev.sh run    install what is missing, build, launch the app
#   ./dev.sh test   install what is missing, build, run the test suite (fast + gui; gpu when present)
#   ./dev.sh package   install what is missing, build the .deb of this Debian/Ubuntu release
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config git xz-utils
  qt6-base-dev qt6-charts-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libqt6sql6-sqlite
  qt6-translations-l10n qtkeychain-qt6-dev libgl-dev libqt6opengl6-dev libqt6svg6
  libsentencepiece-dev libpcre2-dev nlohmann-json3-dev libcpp-httplib-dev libcli11-dev
  libxxhash-dev libutf8proc-dev libopenblas-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev libgtest-dev libbenchmark-dev
  curl fonts-noto-cjk librsvg2-bin desktop-file-utils appstream python3-jsonschema)
# Only for `./dev.sh package` and the clean-root package test (packaging/test-clean-root.sh).
PACKAGE_TOOLS=(dpkg-dev lintian mmdebstrap)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # node/npm drive the official openai client in the server tests; a node that did not come
  # from apt (nvm, nodesource) is as good, so only install it when there is none.
  command -v npm >/dev/null || missing+=(nodejs npm)
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

BUILD=${PAGODA_BUILD_DIR:-build}
configure_and_build() {
  local extra=()
  # CI compiles CUDA for one architecture and without debug info (a third of a C++ file's
  # compile time) to stay fast; releases build every architecture, with debug info.
  if [ -n "${CI:-}" ]; then
    extra+=(-DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG"
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_CUDA_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG")
  fi
  # ccache, when installed, makes rebuilds and extra worktrees cheap.
  if command -v ccache >/dev/null; then extra+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" ${PAGODA_CMAKE_ARGS:-}
  cmake --build "$BUILD" --parallel "$(nproc)"
}

# The .deb for the release this machine runs, into build-deb/ (docs/packaging.md). The compiler
# flags are those of ./dev.sh run, so the shared ccache has the objects; PAGODA_DEB_HARDENING=1
# adds Debian's hardening flags (dpkg-buildflags) for release builds, at the cost of a full build.
package_deb() {
  local dir=${PAGODA_DEB_BUILD_DIR:-build-deb} extra=()
  if command -v ccache >/dev/null; then extra+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  if [ -n "${PAGODA_DEB_HARDENING:-}" ]; then
    # No -ffile-prefix-map: it would differ per checkout and defeat the shared ccache.
    export DEB_BUILD_MAINT_OPTIONS="hardening=+all reproducible=-fixfilepath,-fixdebugpath"
    local cppflags; cppflags=$(dpkg-buildflags --get CPPFLAGS)
    export CFLAGS="$(dpkg-buildflags --get CFLAGS) $cppflags"
    export CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $cppflags"
    export LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
  fi
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DPAGODA_TESTS=OFF "${extra[@]}" ${PAGODA_CMAKE_ARGS:-}
  cmake --build "$dir" --parallel "$(nproc)"
  rm -f "$dir"/pagoda_*.deb
  (cd "$dir" && cpack -G DEB)
  ls "$dir"/pagoda_*.deb
}

case "${1:-}" in
  run)
    install_packages
    configure_and_build
    exec "$BUILD/ui/pagoda" "${@:2}"
    ;;
  test)
    install_packages
    configure_and_build
    cd "$BUILD"
    # gpu tests skip themselves when no GPU is present.
    ctest --output-on-failure --parallel "$(nproc)" --timeout 600 -LE slow "${@:2}"
    ;;
  screenshots)
    # docs/screenshots under Xvfb (tests/ui/take-screenshots.sh).
    PACKAGES+=(xvfb xauth imagemagick)
    install_packages
    configure_and_build
    exec tests/ui/take-screenshots.sh "$BUILD"
    ;;
  package)
    PACKAGES+=("${PACKAGE_TOOLS[@]}")
    install_packages
    package_deb
    ;;
  *)
    echo "usage: $0 run|test|screenshots|package" >&2
    exit 2
    ;;
esac
