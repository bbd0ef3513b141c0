#!/usr/bin/env bash
# Usage: test_cli_library.sh PAGODA_CLI FAKE_HUB MODELS_DIR
# Runs the built pagoda-cli against the fake hub (files through its signed CDN redirect):
# download, "already in the library", a partial --include download completed later, list
# (table and JSON), rm (asks, -y, refuses paths outside the library), two processes on one
# library, and a file-size limit (ulimit -f) that must be a clear error.
set -euo pipefail
cli=$1 fakehub=$2 models=$3
tmp=$(mktemp -d)
hubpid= bgpid=
cleanup() {
  [ -n "$bgpid" ] && kill -9 "$bgpid" 2>/dev/null
  [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$fakehub" --root "$models" --port 0 --redirect >"$tmp/hub.log" 2>&1 &
hubpid=$!
for _ in $(seq 100); do grep -q "fake hub on" "$tmp/hub.log" && break; sleep 0.1; done
url=$(grep -o "http://127.0.0.1:[0-9]*" "$tmp/hub.log" | head -1)
[ -n "$url" ] || { cat "$tmp/hub.log"; fail "fake hub did not start"; }
lib=$tmp/library
hub="ms+$url"

# download, then again: the second says so and prints the same folder.
dir=$("$cli" download pagoda/tiny-yi-spm --hub "$hub" --dir "$lib" -q)
[ "$dir" = "$lib/pagoda--tiny-yi-spm" ] || fail "download printed '$dir'"
for f in "$models/tiny-yi-spm"/*; do cmp -s "$f" "$dir/$(basename "$f")" || fail "$f differs"; done
again=$("$cli" download pagoda/tiny-yi-spm --hub "$hub" --dir "$lib" -q 2>"$tmp/err")
[ "$again" = "$dir" ] || fail "second download printed '$again'"
grep -q "already in the library" "$tmp/err" || { cat "$tmp/err"; fail "no 'already in the library'"; }

# A partial download is listed as incomplete; the full request completes it.
"$cli" download pagoda/tiny-mistral --hub "$hub" --dir "$lib" -q --include '*.json' >/dev/null
"$cli" list --dir "$lib" >"$tmp/list.txt"
grep -E "^pagoda/tiny-mistral .*incomplete: partial download" "$tmp/list.txt" ||
  { cat "$tmp/list.txt"; fail "partial model not listed as incomplete"; }
grep -E "^pagoda/tiny-yi-spm .*complete$" "$tmp/list.txt" >/dev/null || fail "complete model"
"$cli" download pagoda/tiny-mistral --hub "$hub" --dir "$lib" -q >/dev/null 2>"$tmp/err"
grep -q "incomplete" "$tmp/err" || { cat "$tmp/err"; fail "partial copy not reported"; }
"$cli" list --dir "$lib" --json >"$tmp/list.json"
python3 - "$tmp/list.json" "$lib" <<'PY'
import json, os, sys
models = {m["id"]: m for m in json.load(open(sys.argv[1]))}
assert set(models) == {"pagoda/tiny-mistral", "pagoda/tiny-yi-spm"}, models.keys()
for m in models.values():
    assert m["complete"], m
    assert m["revision"] == "master", m
    assert m["architecture"].endswith("ForCausalLM"), m
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(m["path"]) for f in fs)
    assert m["size_bytes"] == size, (m["size_bytes"], size)
    assert m["folder"] == m["id"].replace("/", "--"), m
print("list --json ok")
PY

# rm: asks (no deletes nothing), refuses paths outside, -y deletes by id or folder name.
if echo n | "$cli" rm pagoda/tiny-mistral --dir "$lib" 2>/dev/null; then fail "rm without yes"; fi
[ -d "$lib/pagoda--tiny-mistral" ] || fail "rm deleted without a yes"
mkdir -p "$tmp/outside" && cp "$models/tiny-mistral/config.json" "$tmp/outside/"
for bad in "$tmp/outside" ../outside /; do
  if "$cli" rm "$bad" --dir "$lib" -y 2>"$tmp/err"; then fail "rm '$bad' succeeded"; fi
  grep -q "inside the library\|not in the library" "$tmp/err" || { cat "$tmp/err"; fail "rm '$bad'"; }
done
[ -f "$tmp/outside/config.json" ] || fail "rm touched a folder outside the library"
out=$(echo y | "$cli" rm pagoda/tiny-mistral --dir "$lib")
echo "$out" | grep -q "deleted pagoda/tiny-mistral (.* freed)" || fail "rm said '$out'"
"$cli" rm pagoda--tiny-yi-spm --dir "$lib" -y >/dev/null
[ -z "$(ls "$lib")" ] || fail "library not empty: $(ls "$lib")"

# Two processes on one library: the second is told who holds it.
curl -s -X PUT "$url/_fake/faults" \
  -d '{"bytes_per_second":2000000,"redirect":true,"redirect_to_cdn":true}' >/dev/null
"$cli" download pagoda/tiny-qwen2 --hub "$hub" --dir "$lib" -q >/dev/null 2>&1 &
bgpid=$!
for _ in $(seq 100); do grep -qs "^$bgpid " "$lib/.downloads/queue.lock" && break; sleep 0.05; done
if "$cli" download pagoda/tiny-qwen3 --hub "$hub" --dir "$lib" -q 2>"$tmp/err"; then
  fail "a second process downloaded into a locked library"
fi
grep -q "another Pagoda process (pid $bgpid) is downloading into" "$tmp/err" ||
  { cat "$tmp/err"; fail "unclear lock message"; }
kill -9 "$bgpid"; wait "$bgpid" 2>/dev/null || true; bgpid=

# A file-size limit becomes a clear error (SIGXFSZ is ignored), not a crash.
curl -s -X PUT "$url/_fake/faults" -d '{"redirect":true,"redirect_to_cdn":true}' >/dev/null
set +e
(ulimit -f 2048; exec "$cli" download pagoda/tiny-qwen2 --hub "$hub" --dir "$lib" -q) \
  >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$tmp/err"; fail "exit status $rc under ulimit -f"; }
grep -q "file too large" "$tmp/err" || { cat "$tmp/err"; fail "no 'file too large'"; }
echo "pagoda-cli download / list / rm: ok"
