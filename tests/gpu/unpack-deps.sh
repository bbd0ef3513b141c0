# Sourced by the GPU machine entry points (device-run.sh, quant-checks.sh) from the repository
# root: unpacks the Debian -dev packages carried in .deps/debs (docs/gpu-machine.md) once and
# puts their libraries on LD_LIBRARY_PATH. Packages whose runtime library the machine already has
# are linked against the machine's copy, so no second libcurl/OpenBLAS with foreign dependencies
# ends up in the link.
LIBDIR=$PWD/.deps/usr/lib/x86_64-linux-gnu
if [ -d .deps/debs ] && [ ! -e .deps/.unpacked ]; then
  for f in .deps/debs/*.deb; do
    case "$(basename "$f")" in
      libgfortran5*) ldconfig -p | grep -q 'libgfortran.so.5 ' && continue ;;
      libquadmath0*) ldconfig -p | grep -q 'libquadmath.so.0 ' && continue ;;
    esac
    dpkg -x "$f" .deps
  done
  # libcurl: prefer the system's libcurl.so.4 (its own dependencies are all present there).
  sys_curl=$(ldconfig -p | awk '/libcurl.so.4 /{print $NF; exit}')
  if [ -n "$sys_curl" ]; then
    rm -f "$LIBDIR"/libcurl.so.4*; ln -sf "$sys_curl" "$LIBDIR/libcurl.so"
  fi
  touch .deps/.unpacked
fi
export LD_LIBRARY_PATH=$LIBDIR:${LD_LIBRARY_PATH:-}
