#!/usr/bin/env python3
"""Reads 'RESULT <model> <key> <value>' lines on stdin and prints pagoda-bench next to the
transformers baseline (keys prefixed hf_), plus prefill TFLOP/s against the measured GEMM peak,
and `pagoda-cli serve` measured over HTTP (model serve_<shape>, serve_bench.py) next to the same
workload in-process (keys engine_*, pagoda-bench --engine)."""
import collections
import sys

# Parameters in the linear layers (all layers; embeddings and LM head excluded).
LINEAR_PARAMS = {"qwen2.5-0.5b": 0.358e9, "qwen2.5-7b": 6.53e9, "qwen3-0.6b": 0.44e9,
                 "llama3-8b": 6.98e9}

vals = collections.defaultdict(dict)
for line in sys.stdin:
    parts = line.split()
    if len(parts) == 4:
        vals[parts[1]][parts[2]] = float(parts[3])
peak = vals.get("device", {}).get("gemm_bf16_tflops")
print(f"{'model':14} {'metric':20} {'pagoda':>11} {'transformers':>13} {'ratio':>8}")
for model, kv in vals.items():
    if model.startswith("serve_"):
        continue  # below, next to the in-process figures
    if model == "device":
        for key, v in kv.items():
            print(f"{'device':14} {key:20} {v:11.2f}")
        continue
    for key, v in kv.items():
        if key.startswith("hf_"):
            continue
        hf = kv.get("hf_" + key)
        ratio = f"{v / hf:7.1f}x" if hf and key.endswith("tok_s") else ""
        hf_text = f"{hf:13.1f}" if hf else ""
        print(f"{model:14} {key:20} {v:11.1f} {hf_text:>13} {ratio:>8}")
    if peak and "prefill_tok_s" in kv and model in LINEAR_PARAMS:
        tflops = kv["prefill_tok_s"] * 2 * LINEAR_PARAMS[model] / 1e12
        print(f"{model:14} {'prefill_tflops':20} {tflops:11.1f} {'of peak':>13} "
              f"{100 * tflops / peak:6.0f}%")

# serve_bench.py's keys and the in-process figure each is compared with (pagoda-bench --engine).
IN_PROCESS = {"b1_ttft_ms": "engine_b1_ttft_ms", "b1_decode_tok_s": "engine_b1_decode_tok_s",
              "offline_tok_s": "engine_offline_tok_s",
              "ttft_p50_ms": "engine_ttft_p50_ms", "ttft_p99_ms": "engine_ttft_p99_ms",
              "itl_p50_ms": "engine_itl_p50_ms", "itl_p99_ms": "engine_itl_p99_ms"}
rows = [(m[len("serve_"):], kv) for m, kv in vals.items() if m.startswith("serve_")]
if rows:
    print(f"{'served':14} {'metric':20} {'HTTP':>11} {'in-process':>13} {'ratio':>8}")
for shape, kv in rows:
    for key, v in kv.items():
        ref = vals.get(shape, {}).get(IN_PROCESS.get(key, ""))
        ref_text = f"{ref:13.1f}" if ref is not None else ""
        ratio = f"{v / ref:7.2f}x" if ref else ""
        print(f"{shape:14} {key:20} {v:11.1f} {ref_text:>13} {ratio:>8}")
