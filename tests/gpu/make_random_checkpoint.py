#!/usr/bin/env python3
"""Writes a Hugging Face model folder with random bf16 weights of a named real shape, for
measuring `pagoda-cli serve` (tests/bench/serve_bench.py) without downloading a model.

  make_random_checkpoint.py SHAPE OUTDIR [--seed N] [--config-only]

SHAPE is one of tests/bench/bench_shapes.h (the one list of shapes: this script reads it, and
test_random_checkpoint checks that what it writes loads back as the same ModelConfig). OUTDIR
gets config.json, generation_config.json, the tokenizer of the fixture model of the same family
(tests/data/fixtures/models/tiny-<family>.tar.xz: tokenizer.json and tokenizer_config.json with
its chat template), and model.safetensors, or shards of at most 4 GiB with
model.safetensors.index.json. Weights: normal * 0.02 (the transformers initializer range),
norms 1, biases 0; drawn with torch on the GPU when there is one (a 7B shape in seconds, then
the disk's write speed). Needs torch and safetensors, except with --config-only (no weights).
"""
import argparse
import json
import os
import re
import sys
import tarfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHAPES_HEADER = os.path.join(ROOT, "tests", "bench", "bench_shapes.h")
FIXTURES = os.path.join(ROOT, "tests", "data", "fixtures", "models")
FIXTURE_OF_TYPE = {"qwen2": "tiny-qwen2", "qwen3": "tiny-qwen3", "llama": "tiny-llama3"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
SHARD_BYTES = 4 << 30


def parse_value(text):
    text = text.strip()
    if text.startswith('"'):
        return text.strip('"')
    if text in ("true", "false"):
        return text == "true"
    return float(text) if re.search(r"[.eE]", text) else int(text)


def assignments(code):
    """{'rope.theta': 1e6, ...} from the `c.field = value` statements of a block."""
    found = re.findall(r"\bc\.([\w.]+)\s*=\s*(\"[^\"]*\"|[^,;]+)", code)
    return {field: parse_value(value) for field, value in found}


def read_shapes(path=SHAPES_HEADER):
    """{name: {field: value}} with the defaults applied, parsed from bench_shapes.h."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("pagoda::ModelConfig c;")
    first = text.index("if (name ==", start)
    defaults = assignments(text[start:first])
    shapes = {}
    for name, body in re.findall(r'if \(name == "([^"]+)"\) \{(.*?)\}', text[first:], re.S):
        shapes[name] = {**defaults, **assignments(body)}
    if not shapes:
        raise SystemExit(f"{path}: no shapes found (has its layout changed?)")
    return shapes


# The ModelConfig fields bench_shapes.h may set, and the config.json key each becomes. A field
# not listed here stops the script rather than being dropped.
CONFIG_KEYS = {
    "vocab_size": "vocab_size", "hidden_size": "hidden_size",
    "intermediate_size": "intermediate_size", "num_layers": "num_hidden_layers",
    "num_heads": "num_attention_heads", "num_kv_heads": "num_key_value_heads",
    "head_dim": "head_dim", "max_position_embeddings": "max_position_embeddings",
    "rms_norm_eps": "rms_norm_eps", "tie_word_embeddings": "tie_word_embeddings",
    "attention_bias": "attention_bias", "model_type": "model_type", "rope.theta": "rope_theta",
}
ROPE_SCALING_KEYS = {"rope.type": "rope_type", "rope.factor": "factor",
                     "rope.low_freq_factor": "low_freq_factor",
                     "rope.high_freq_factor": "high_freq_factor",
                     "rope.original_max_position_embeddings": "original_max_position_embeddings"}


def hf_config(shape, fixture_config):
    # ModelConfig's own defaults for what bench_shapes.h leaves unset.
    cfg = {"architectures": [shape["architecture"]], "hidden_act": "silu",
           "torch_dtype": "bfloat16", "initializer_range": 0.02, "tie_word_embeddings": False,
           "attention_bias": False}
    rope_scaling = {}
    for field, value in shape.items():
        if field in CONFIG_KEYS:
            cfg[CONFIG_KEYS[field]] = value
        elif field in ROPE_SCALING_KEYS:
            rope_scaling[ROPE_SCALING_KEYS[field]] = value
        elif field == "qk_norm":
            if value != (shape["architecture"] == "Qwen3ForCausalLM"):
                raise SystemExit("qk_norm goes with Qwen3ForCausalLM only (config.json cannot say it)")
        elif field != "architecture":
            raise SystemExit(f"bench_shapes.h sets c.{field}, which {__file__} does not map")
    if rope_scaling.get("rope_type", "default") != "default":
        cfg["rope_scaling"] = rope_scaling
    for key in ("bos_token_id", "eos_token_id"):  # the tokenizer's, as in the fixture
        if key in fixture_config:
            cfg[key] = fixture_config[key]
    return cfg


def tensor_shapes(cfg):
    """[(name, shape, kind)] in the Hugging Face layout; kind: weight, norm or bias."""
    h, inter, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    bias = cfg["architectures"][0] == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    qk_norm = cfg["architectures"][0] == "Qwen3ForCausalLM"
    out = [("model.embed_tokens.weight", (cfg["vocab_size"], h), "weight")]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", (h,), "norm"),
                (p + "post_attention_layernorm.weight", (h,), "norm"),
                (p + "self_attn.q_proj.weight", (q, h), "weight"),
                (p + "self_attn.k_proj.weight", (kv, h), "weight"),
                (p + "self_attn.v_proj.weight", (kv, h), "weight"),
                (p + "self_attn.o_proj.weight", (h, q), "weight"),
                (p + "mlp.gate_proj.weight", (inter, h), "weight"),
                (p + "mlp.up_proj.weight", (inter, h), "weight"),
                (p + "mlp.down_proj.weight", (h, inter), "weight")]
        if bias:
            out += [(p + f"self_attn.{x}_proj.bias", (n,), "bias") for x, n in
                    (("q", q), ("k", kv), ("v", kv))]
        if qk_norm:
            out += [(p + "self_attn.q_norm.weight", (hd,), "norm"),
                    (p + "self_attn.k_norm.weight", (hd,), "norm")]
    out.append(("model.norm.weight", (h,), "norm"))
    if not cfg["tie_word_embeddings"]:
        out.append(("lm_head.weight", (cfg["vocab_size"], h), "weight"))
    return out


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def shard_plan(tensors):
    """Lists of tensors, each list at most SHARD_BYTES of bf16 (one list when all fit)."""
    shards, size = [[]], 0
    for t in tensors:
        b = 2 * numel(t[1])
        if shards[-1] and size + b > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append(t)
        size += b
    return shards


def copy_tokenizer(model_type, outdir):
    """Copies the fixture's tokenizer files; returns the fixture's config.json and
    generation_config.json (for the special token ids)."""
    fixture = FIXTURE_OF_TYPE.get(model_type)
    if not fixture:
        raise SystemExit(f"no tokenizer fixture for model_type {model_type} ({FIXTURE_OF_TYPE})")
    found = {}
    with tarfile.open(os.path.join(FIXTURES, fixture + ".tar.xz"), "r:xz") as tar:
        for m in tar.getmembers():
            base = os.path.basename(m.name)
            if m.isfile() and base in (*TOKENIZER_FILES, "config.json", "generation_config.json"):
                found[base] = tar.extractfile(m).read()
    for base in TOKENIZER_FILES:
        if base in found:
            with open(os.path.join(outdir, base), "wb") as f:
                f.write(found[base])
    if "tokenizer.json" not in found and "tokenizer.model" not in found:
        raise SystemExit(f"{fixture}.tar.xz holds no tokenizer")
    return json.loads(found["config.json"]), json.loads(found.get("generation_config.json", b"{}"))


def write_weights(cfg, outdir, seed):
    try:
        import torch
        from safetensors.torch import save_file
    except ImportError as e:
        raise SystemExit(f"writing weights needs torch and safetensors ({e}); --config-only "
                         "writes the rest")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gen = torch.Generator(device=device).manual_seed(seed)
    shards = shard_plan(tensor_shapes(cfg))
    names = (["model.safetensors"] if len(shards) == 1 else
             [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))])
    weight_map, total = {}, 0
    for fname, shard in zip(names, shards):
        tensors = {}
        for name, shape, kind in shard:
            if kind == "norm":
                t = torch.ones(shape, dtype=torch.bfloat16, device=device)
            elif kind == "bias":
                t = torch.zeros(shape, dtype=torch.bfloat16, device=device)
            else:
                t = torch.randn(shape, generator=gen, dtype=torch.bfloat16, device=device) * 0.02
            tensors[name] = t.cpu()
            weight_map[name] = fname
            total += 2 * numel(shape)
        save_file(tensors, os.path.join(outdir, fname), metadata={"format": "pt"})
        del tensors
    if len(shards) > 1:
        with open(os.path.join(outdir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    return total, len(shards), device


def main():
    shapes = read_shapes()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("shape", help=", ".join(shapes) + " (or 'list'; or 'tensors': print the "
                   "'name dim...' list that OUTDIR's config.json gives, and exit)")
    p.add_argument("outdir", nargs="?")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--config-only", action="store_true",
                   help="config, generation config and tokenizer; no weights (no torch needed)")
    args = p.parse_args()
    if args.shape == "list":
        print("\n".join(shapes))
        return 0
    if args.shape == "tensors" and args.outdir:
        with open(os.path.join(args.outdir, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
        cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
        cfg.setdefault("tie_word_embeddings", False)
        for name, shape, _ in tensor_shapes(cfg):
            print(name, *shape)
        return 0
    if args.shape not in shapes or not args.outdir:
        p.error(f"give one of {', '.join(shapes)} and OUTDIR")
    t0 = time.monotonic()
    os.makedirs(args.outdir, exist_ok=True)
    shape = shapes[args.shape]
    fixture_config, generation = copy_tokenizer(shape["model_type"], args.outdir)
    cfg = hf_config(shape, fixture_config)
    with open(os.path.join(args.outdir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.outdir, "generation_config.json"), "w") as f:
        json.dump(generation, f, indent=2)
    params = sum(numel(s) for _, s, _ in tensor_shapes(cfg))
    if args.config_only:
        print(f"{args.shape}: config and tokenizer in {args.outdir}, {params} parameters "
              "(no weights written)")
        return 0
    total, nshards, device = write_weights(cfg, args.outdir, args.seed)
    print(f"{args.shape}: {params / 1e9:.2f}B parameters, {total / 2**30:.2f} GiB in {nshards} "
          f"file(s), drawn on {device}, {time.monotonic() - t0:.1f} s -> {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
