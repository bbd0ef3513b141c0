#!/usr/bin/env python3
"""Quantized fixture models and their goldens (issue 17).

Step 1 (numpy only): from the configs of the tiny fixture models (tests/data/fixtures/models:
Qwen2, Qwen3, Llama 3), builds random-weight models of the same architectures with dimensions
large enough for real group sizes (hidden 128), quantizes their decoder linears round-to-nearest
and packs them the way each published format does:
  AWQ (AutoAWQ GEMM): qweight int32 [in, out/8], qzeros int32 [in/group, out/8], nibble p of
      word c holding column 8c + [0, 2, 4, 6, 1, 3, 5, 7][p]; scales fp16 [in/group, out];
      w = (q - z) * s.
  GPTQ (AutoGPTQ "gptq", GPTQModel "gptq_v2"): qweight int32 [in*bits/32, out] packed along the
      input, qzeros int32 [groups, out*bits/32] packed along the output, stored as zero - 1 in
      "gptq" and as is in "gptq_v2"; scales fp16 [groups, out]; g_idx int32 [in] (act order:
      the groups are formed over a permutation of the inputs); group_size -1: one group.
  FP8 (transformers/vLLM "fp8", e4m3fn): weight F8_E4M3 [out, in], weight_scale_inv f32 per
      [128, 128] block (partial blocks at the edges), or one weight_scale per tensor; w = q * s.
Each model is written twice: DIR/models/<name>/ (the quantized checkpoint, config.json with
quantization_config) and DIR/models/<name>-dequant/ (float32 weights decoded from the packed
tensors by the format's rule above, config without quantization_config).

Step 2 (--goldens-only, needs torch and transformers): for each <name>-dequant/, transformers in
float32 on the CPU with eager attention writes DIR/golden/model-<name>.safetensors and .json in the
layout of tests/data/fixtures/golden/model-*.{safetensors,json}: for three prompts (random ids:
15, 6 and 300 tokens) pN.input_ids, pN.argmax, pN.last_top64_ids, pN.last_top64_logits,
pN.last_logsumexp and pN.greedy (32 greedy tokens, end of sequence ignored).

Usage:
  python3 tests/quant/make_quant_fixtures.py --out DIR            # step 1 (then step 2 if torch)
  python3 tests/quant/make_quant_fixtures.py --out DIR --no-goldens
  python3 tests/quant/make_quant_fixtures.py --out DIR --goldens-only
"""
import argparse
import json
import os
import struct
import sys
import tarfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE_MODELS = os.path.join(ROOT, "tests", "data", "fixtures", "models")

# name: (base fixture, format, format options)
FIXTURES = {
    "tiny-qwen2-awq": ("tiny-qwen2", "awq", {"group": 128}),
    "tiny-qwen2-gptq4": ("tiny-qwen2", "gptq", {"bits": 4, "group": 128, "sym": True}),
    "tiny-qwen2-gptq8": ("tiny-qwen2", "gptq", {"bits": 8, "group": 128, "sym": True}),
    "tiny-qwen3-awq": ("tiny-qwen3", "awq", {"group": 32, "not_convert": ["self_attn.o_proj"]}),
    "tiny-qwen3-fp8": ("tiny-qwen3", "fp8", {"block": [128, 128]}),
    "tiny-qwen3-gptq8-actorder": ("tiny-qwen3", "gptq",
                                  {"bits": 8, "group": 128, "sym": False, "desc_act": True}),
    "tiny-llama3-gptq4-actorder": ("tiny-llama3", "gptq",
                                   {"bits": 4, "group": 64, "sym": False, "desc_act": True}),
    "tiny-llama3-gptq4-v2": ("tiny-llama3", "gptq",
                             {"bits": 4, "group": -1, "sym": False, "v2": True}),
    "tiny-llama3-awq": ("tiny-llama3", "awq", {"group": 64}),
    "tiny-llama3-fp8-tensor": ("tiny-llama3", "fp8", {"block": None}),
}

# Dimensions of the quantized fixtures (the base fixtures' hidden sizes of 16-32 are below one
# quantization group). Attention heads differ per architecture to keep head_dim != hidden/heads
# for Qwen3 like the base fixture.
DIMS = {
    "tiny-qwen2": dict(hidden_size=128, intermediate_size=256, num_attention_heads=4,
                       num_key_value_heads=2),
    "tiny-qwen3": dict(hidden_size=128, intermediate_size=384, num_attention_heads=4,
                       num_key_value_heads=2, head_dim=64),
    "tiny-llama3": dict(hidden_size=128, intermediate_size=256, num_attention_heads=2,
                        num_key_value_heads=1, head_dim=64),
}
VOCAB = 1024
LAYERS = 2
PROMPT_LENGTHS = (15, 6, 300)


# ----------------------------------------------------------------------------- safetensors
def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, shape, bytes)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    kinds = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64,
             "F8_E4M3": np.uint8, "U8": np.uint8}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        if t["dtype"] == "BF16":
            raw = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], dtype=kinds[t["dtype"]])
        out[name] = (t["dtype"], arr.reshape(t["shape"]))
    return out


def t_f16(a):
    return ("F16", a.shape, np.ascontiguousarray(a, dtype=np.float16).tobytes())


def t_f32(a):
    return ("F32", a.shape, np.ascontiguousarray(a, dtype=np.float32).tobytes())


def t_bf16(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return ("BF16", a.shape, rounded.tobytes())


def t_i32(a):
    return ("I32", a.shape, np.ascontiguousarray(a, dtype=np.int32).tobytes())


# ----------------------------------------------------------------------------- formats
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]


def e4m3_table():
    """Float value of every e4m3fn byte (NaN for 0x7F and 0xFF)."""
    vals = np.zeros(256, dtype=np.float64)
    for v in range(256):
        e, m = (v >> 3) & 15, v & 7
        if e == 15 and m == 7:
            vals[v] = np.nan
        elif e == 0:
            vals[v] = m / 8.0 * 2.0 ** -6
        else:
            vals[v] = (1 + m / 8.0) * 2.0 ** (e - 7)
        if v & 0x80:
            vals[v] = -vals[v]
    return vals


E4M3 = e4m3_table()


def to_e4m3(x):
    """Nearest finite e4m3 byte of each value (|x| <= 448)."""
    pos = np.array([v for v in range(0x7F)], dtype=np.int64)  # 0x00..0x7E, ascending values
    mags = E4M3[pos]
    a = np.abs(x).ravel()
    idx = np.clip(np.searchsorted(mags, a), 1, len(mags) - 1)
    lo, hi = mags[idx - 1], mags[idx]
    pick = np.where(a - lo <= hi - a, idx - 1, idx)
    byte = pos[pick].astype(np.uint8)
    byte = np.where(x.ravel() < 0, byte | 0x80, byte)
    return byte.reshape(x.shape).astype(np.uint8)


def rtn_groups(w, groups_of_input, n_groups, bits, sym):
    """Round-to-nearest per (output row, group): ints [out, in], scales fp16 [groups, out],
    zeros [groups, out] (the quantizers of AutoGPTQ / AutoAWQ, without their calibration)."""
    out_f, in_f = w.shape
    maxq = (1 << bits) - 1
    scales = np.zeros((n_groups, out_f), dtype=np.float16)
    zeros = np.zeros((n_groups, out_f), dtype=np.int64)
    ints = np.zeros((out_f, in_f), dtype=np.int64)
    for g in range(n_groups):
        cols = np.nonzero(groups_of_input == g)[0]
        block = w[:, cols].astype(np.float64)
        xmin = np.minimum(block.min(axis=1), 0.0)
        xmax = np.maximum(block.max(axis=1), 0.0)
        if sym:
            xmax = np.maximum(np.abs(xmin), xmax)
            xmin = -xmax
        s = ((xmax - xmin) / maxq).astype(np.float16).astype(np.float64)
        s[s == 0] = 1.0
        z = np.full(out_f, (maxq + 1) // 2) if sym else np.clip(np.round(-xmin / s), 0, maxq)
        q = np.clip(np.round(block / s[:, None]) + z[:, None], 0, maxq)
        ints[:, cols] = q
        scales[g] = s.astype(np.float16)
        zeros[g] = z
    return ints, scales, zeros


def quant_awq(w, opts):
    out_f, in_f = w.shape
    g = opts["group"]
    gidx = np.arange(in_f) // g
    ints, scales, zeros = rtn_groups(w, gidx, in_f // g, 4, sym=False)
    it = ints.T  # [in, out]
    qweight = np.zeros((in_f, out_f // 8), dtype=np.uint32)
    qzeros = np.zeros((in_f // g, out_f // 8), dtype=np.uint32)
    for p, col in enumerate(AWQ_ORDER):
        qweight |= (it[:, col::8].astype(np.uint32) << (4 * p))
        qzeros |= (zeros[:, col::8].astype(np.uint32) << (4 * p))
    return {"qweight": t_i32(qweight.view(np.int32)), "qzeros": t_i32(qzeros.view(np.int32)),
            "scales": t_f16(scales)}


def quant_gptq(w, opts, rng):
    out_f, in_f = w.shape
    bits, per = opts["bits"], 32 // opts["bits"]
    gs = opts["group"] if opts["group"] > 0 else in_f
    n_groups = (in_f + gs - 1) // gs
    order = rng.permutation(in_f) if opts.get("desc_act") else np.arange(in_f)
    gidx = np.zeros(in_f, dtype=np.int32)
    gidx[order] = np.arange(in_f) // gs
    ints, scales, zeros = rtn_groups(w, gidx, n_groups, bits, sym=opts["sym"])
    it = ints.T.astype(np.uint32)  # [in, out]
    qweight = np.zeros((in_f // per, out_f), dtype=np.uint32)
    for j in range(per):
        qweight |= it[j::per, :] << (bits * j)
    stored = zeros if opts.get("v2") else zeros - 1
    stored = (stored & ((1 << bits) - 1)).astype(np.uint32)
    qzeros = np.zeros((n_groups, out_f // per), dtype=np.uint32)
    for j in range(per):
        qzeros |= stored[:, j::per] << (bits * j)
    return {"qweight": t_i32(qweight.view(np.int32)), "qzeros": t_i32(qzeros.view(np.int32)),
            "scales": t_f16(scales), "g_idx": t_i32(gidx)}


def quant_fp8(w, opts):
    out_f, in_f = w.shape
    block = opts["block"]
    if block is None:
        s = np.float32(np.abs(w).max() / 448.0)
        q = to_e4m3(w / s)
        return {"weight": ("F8_E4M3", w.shape, q.tobytes()),
                "weight_scale": ("F32", [], np.array(s, dtype=np.float32).tobytes())}
    bn, bk = block
    rows, cols = -(-out_f // bn), -(-in_f // bk)
    scales = np.zeros((rows, cols), dtype=np.float32)
    q = np.zeros(w.shape, dtype=np.uint8)
    for r in range(rows):
        for c in range(cols):
            blk = w[r * bn:(r + 1) * bn, c * bk:(c + 1) * bk]
            s = np.float32(np.abs(blk).max() / 448.0)
            scales[r, c] = s
            q[r * bn:(r + 1) * bn, c * bk:(c + 1) * bk] = to_e4m3(blk / s)
    return {"weight": ("F8_E4M3", w.shape, q.tobytes()), "weight_scale_inv": t_f32(scales)}


# The decoding rules, applied to the packed tensors as stored (not to the pre-packing ints).
def arr(t, dtype):
    return np.frombuffer(t[2], dtype=dtype).reshape(t[1])


def dequant_awq(t, in_f, out_f, g):
    qweight = arr(t["qweight"], np.uint32)
    qzeros = arr(t["qzeros"], np.uint32)
    scales = arr(t["scales"], np.float16).astype(np.float32)
    iw = np.zeros((in_f, out_f), dtype=np.float32)
    iz = np.zeros((in_f // g, out_f), dtype=np.float32)
    for p, col in enumerate(AWQ_ORDER):
        iw[:, col::8] = (qweight >> (4 * p)) & 15
        iz[:, col::8] = (qzeros >> (4 * p)) & 15
    rows = np.arange(in_f) // g
    return ((iw - iz[rows]) * scales[rows]).T


def dequant_gptq(t, in_f, out_f, bits, v2):
    per, mask = 32 // bits, (1 << bits) - 1
    qweight = arr(t["qweight"], np.uint32)
    qzeros = arr(t["qzeros"], np.uint32)
    scales = arr(t["scales"], np.float16).astype(np.float32)
    gidx = arr(t["g_idx"], np.int32).astype(np.int64)
    iw = np.zeros((in_f, out_f), dtype=np.float32)
    for j in range(per):
        iw[j::per, :] = (qweight >> (bits * j)) & mask
    iz = np.zeros((qzeros.shape[0], out_f), dtype=np.float32)
    for j in range(per):
        iz[:, j::per] = (qzeros >> (bits * j)) & mask
    if not v2:
        iz += 1  # "gptq" stores zero - 1 (AutoGPTQ adds the one back without masking)
    return ((iw - iz[gidx]) * scales[gidx]).T


def dequant_fp8(t, shape, block):
    q = np.frombuffer(t["weight"][2], dtype=np.uint8).reshape(shape)
    w = E4M3[q].astype(np.float32)
    if block is None:
        return w * np.frombuffer(t["weight_scale"][2], dtype=np.float32)[0]
    bn, bk = block
    s = np.frombuffer(t["weight_scale_inv"][2], dtype=np.float32).reshape(
        -(-shape[0] // bn), -(-shape[1] // bk))
    return w * np.repeat(np.repeat(s, bn, axis=0), bk, axis=1)[:shape[0], :shape[1]]


# ----------------------------------------------------------------------------- models
def base_config(base):
    with tarfile.open(os.path.join(BASE_MODELS, base + ".tar.xz")) as tar:
        cfg = json.load(tar.extractfile(base + "/config.json"))
        gen = json.load(tar.extractfile(base + "/generation_config.json"))
    return cfg, gen


def quantization_config(fmt, opts):
    if fmt == "awq":
        return {"bits": 4, "group_size": opts["group"], "modules_to_not_convert":
                opts.get("not_convert"), "quant_method": "awq", "version": "gemm",
                "zero_point": True}
    if fmt == "gptq":
        q = {"bits": opts["bits"], "damp_percent": 0.01, "desc_act": bool(opts.get("desc_act")),
             "group_size": opts["group"], "quant_method": "gptq", "static_groups": False,
             "sym": opts["sym"], "true_sequential": True}
        if opts.get("v2"):
            q["checkpoint_format"] = "gptq_v2"  # GPTQModel's spelling; "gptq" is the default
        return q
    q = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8"}
    if opts["block"] is not None:
        q["weight_block_size"] = opts["block"]
    return q


def build(name, out_dir):
    base, fmt, opts = FIXTURES[name]
    cfg, gen = base_config(base)
    cfg.update(DIMS[base])
    cfg.update(vocab_size=VOCAB, num_hidden_layers=LAYERS)
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        cfg[key] = None
    gen = {k: v for k, v in gen.items() if not k.endswith("token_id")}
    seed = sum(ord(c) * 131 ** i for i, c in enumerate(name)) % (2 ** 31)
    rng = np.random.RandomState(seed)
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], VOCAB
    hd = cfg.get("head_dim") or H // cfg["num_attention_heads"]
    qd, kvd = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    plain_dtype = "bfloat16" if fmt == "fp8" else "float16"  # as the published repos ship
    plain = t_bf16 if fmt == "fp8" else t_f16

    def rnd(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def stored(a):  # a plain tensor as the checkpoint stores it, and its float32 value
        t = plain(a)
        arr = np.frombuffer(t[2], dtype=np.uint16).reshape(a.shape)
        f = (arr.astype(np.uint32) << 16).view(np.float32) if t[0] == "BF16" else \
            arr.view(np.float16).astype(np.float32)
        return t, f

    quant, dequant = {}, {}

    def add_plain(tname, a):
        t, f = stored(a)
        quant[tname], dequant[tname] = t, t_f32(f)

    qc = quantization_config(fmt, opts)
    not_convert = opts.get("not_convert") or []
    add_plain("model.embed_tokens.weight", rnd(V, H))
    if not cfg.get("tie_word_embeddings"):
        add_plain("lm_head.weight", rnd(V, H, scale=H ** -0.5))
    add_plain("model.norm.weight", 1.0 + rnd(H, scale=0.1))
    for layer in range(LAYERS):
        p = f"model.layers.{layer}."
        add_plain(p + "input_layernorm.weight", 1.0 + rnd(H, scale=0.1))
        add_plain(p + "post_attention_layernorm.weight", 1.0 + rnd(H, scale=0.1))
        if base == "tiny-qwen3":
            add_plain(p + "self_attn.q_norm.weight", 1.0 + rnd(hd, scale=0.1))
            add_plain(p + "self_attn.k_norm.weight", 1.0 + rnd(hd, scale=0.1))
        linears = [("self_attn.q_proj", qd, H), ("self_attn.k_proj", kvd, H),
                   ("self_attn.v_proj", kvd, H), ("self_attn.o_proj", H, qd),
                   ("mlp.gate_proj", I, H), ("mlp.up_proj", I, H), ("mlp.down_proj", H, I)]
        for module, n, k in linears:
            w = rnd(n, k, scale=k ** -0.5)
            full = p + module
            if base == "tiny-qwen2" and module in ("self_attn.q_proj", "self_attn.k_proj",
                                                    "self_attn.v_proj"):
                add_plain(full + ".bias", rnd(n, scale=0.1))
            if any(m in full for m in not_convert):
                add_plain(full + ".weight", w)
                continue
            if fmt == "awq":
                t = quant_awq(w, opts)
                deq = dequant_awq(t, k, n, opts["group"])
            elif fmt == "gptq":
                t = quant_gptq(w, opts, rng)
                deq = dequant_gptq(t, k, n, opts["bits"], opts.get("v2"))
            else:
                t = quant_fp8(w, opts)
                deq = dequant_fp8(t, (n, k), opts["block"])
            for suffix, tensor in t.items():
                quant[full + "." + suffix] = tensor
            dequant[full + ".weight"] = t_f32(deq)
    for folder, tensors, dtype, qconf in ((name, quant, plain_dtype, qc),
                                          (name + "-dequant", dequant, "float32", None)):
        d = os.path.join(out_dir, "models", folder)
        os.makedirs(d, exist_ok=True)
        c = dict(cfg)
        c.pop("torch_dtype", None)
        c["dtype" if "rope_parameters" in cfg else "torch_dtype"] = dtype
        if qconf:
            c["quantization_config"] = qconf
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=2)
        with open(os.path.join(d, "generation_config.json"), "w") as f:
            json.dump(gen, f, indent=2)
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    return seed


# ----------------------------------------------------------------------------- goldens
def goldens(out_dir, names):
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    gdir = os.path.join(out_dir, "golden")
    os.makedirs(gdir, exist_ok=True)
    for name in names:
        model = AutoModelForCausalLM.from_pretrained(
            os.path.join(out_dir, "models", name + "-dequant"), dtype=torch.float32,
            attn_implementation="eager").eval()
        rng = np.random.RandomState(7)
        tensors, prompts = {}, []
        for p, length in enumerate(PROMPT_LENGTHS):
            ids = rng.randint(0, VOCAB, size=length).astype(np.int64)
            with torch.no_grad():
                logits = model(torch.tensor([ids.tolist()])).logits[0].double()
                last = logits[-1]
                top = torch.topk(last, 64)
                lse = torch.logsumexp(last, 0)
                seq = [int(v) for v in ids]
                greedy = []
                for _ in range(32):
                    nxt = int(model(torch.tensor([seq])).logits[0, -1].argmax())
                    greedy.append(nxt)
                    seq.append(nxt)
            k = f"p{p}."
            i64 = lambda a: ("I64", [len(a)], np.asarray(a, dtype=np.int64).tobytes())
            tensors[k + "input_ids"] = i64(ids)
            tensors[k + "argmax"] = i64(logits.argmax(-1).numpy())
            tensors[k + "last_top64_ids"] = i64(top.indices.numpy())
            tensors[k + "last_top64_logits"] = t_f32(top.values.float().numpy())
            tensors[k + "last_logsumexp"] = t_f32(np.array([float(lse)], dtype=np.float32))
            tensors[k + "greedy"] = i64(greedy)
            prompts.append({"input_ids": ids.tolist(), "greedy": greedy,
                            "last_top8_ids": top.indices[:8].tolist(),
                            "last_top8_logits": [float(v) for v in top.values[:8]],
                            "last_logsumexp": float(lse)})
        write_safetensors(os.path.join(gdir, f"model-{name}.safetensors"), tensors)
        with open(os.path.join(gdir, f"model-{name}.json"), "w") as f:
            json.dump({"model": name, "reference": "transformers float32 eager, CPU, on the "
                       "dequantized weights", "prompts": prompts}, f, indent=1)
        print(f"golden {name}: greedy p0 {prompts[0]['greedy'][:8]}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*", help="fixture names (default: all)")
    ap.add_argument("--goldens-only", action="store_true")
    ap.add_argument("--no-goldens", action="store_true")
    args = ap.parse_args()
    names = args.only or list(FIXTURES)
    if not args.goldens_only:
        for name in names:
            seed = build(name, args.out)
            print(f"built {name} (seed {seed})", flush=True)
    if args.no_goldens:
        return
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        if args.goldens_only:
            sys.exit("--goldens-only needs torch and transformers")
        print("torch/transformers not installed: goldens skipped")
        return
    goldens(args.out, names)


if __name__ == "__main__":
    main()
