#!/usr/bin/env bash
# Usage: test_cli_model_from_hub.sh PAGODA_CLI FAKE_HUB DEMO_CHAT_DIR CHAT_DEMO_GOLDEN
set -euo pipefail
cli=$1 fakehub=$2 demo=$3 golden=$4
tmp=$(mktemp -d)
hubpid=
cleanup() { [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/root" && cp -rL "$demo" "$tmp/root/demo-chat"
"$fakehub" --root "$tmp/root" --port 0 >"$tmp/hub.log" 2>&1 &
hubpid=$!
for _ in $(seq 100); do grep -q "fake hub on" "$tmp/hub.log" && break; sleep 0.1; done
url=$(grep -o "http://127.0.0.1:[0-9]*" "$tmp/hub.log" | head -1)
[ -n "$url" ] || { echo "fake hub did not start"; cat "$tmp/hub.log"; exit 1; }

# The expected answer comes from the golden file, not from this script.
question=$(head -1 "$golden" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["messages"][-1]["content"])')
answer=$(head -1 "$golden" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["text"])')

export PAGODA_LIBRARY="$tmp/library"
got=$("$cli" generate --model pagoda/demo-chat --hub "ms+$url" --chat "$question" \
      --temperature 0 --device cpu 2>"$tmp/err1")
[ "$got" = "$answer" ] || { echo "first run: got '$got', want '$answer'"; cat "$tmp/err1"; exit 1; }
ls "$PAGODA_LIBRARY" | grep -q demo-chat || { echo "model not in the library"; exit 1; }

kill "$hubpid"; wait "$hubpid" 2>/dev/null || true; hubpid=
got=$("$cli" generate --model pagoda/demo-chat --hub "ms+$url" --chat "$question" \
      --temperature 0 --device cpu 2>"$tmp/err2")
[ "$got" = "$answer" ] || { echo "second run (hub down): got '$got'"; cat "$tmp/err2"; exit 1; }
echo "hub id resolved, downloaded and reused: ok"
