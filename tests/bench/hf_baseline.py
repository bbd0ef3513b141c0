#!/usr/bin/env python3
"""The independent baseline for pagoda-bench: the same workloads through Hugging Face
transformers' generate() (random bf16 weights of the same shapes, on the GPU, greedy, EOS ignored).

Prints one "RESULT <model> hf_<key> <value>" line per number, like pagoda-bench.
"""
import argparse
import random
import time

import torch
import transformers

SHAPES = {
    "qwen2.5-0.5b": ("qwen2", dict(vocab_size=151936, hidden_size=896, intermediate_size=4864,
                                   num_hidden_layers=24, num_attention_heads=14,
                                   num_key_value_heads=2, tie_word_embeddings=True)),
    "qwen2.5-7b": ("qwen2", dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944,
                                 num_hidden_layers=28, num_attention_heads=28,
                                 num_key_value_heads=4, tie_word_embeddings=False)),
    "qwen3-0.6b": ("qwen3", dict(vocab_size=151936, hidden_size=1024, intermediate_size=3072,
                                 num_hidden_layers=28, num_attention_heads=16,
                                 num_key_value_heads=8, head_dim=128, tie_word_embeddings=True)),
    "llama3-8b": ("llama", dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                                num_hidden_layers=32, num_attention_heads=32,
                                num_key_value_heads=8, tie_word_embeddings=False)),
}


def build(name):
    model_type, kw = SHAPES[name]
    cfg = transformers.AutoConfig.for_model(model_type, max_position_embeddings=32768, **kw)
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.eval()
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    return model, kw["vocab_size"]


def timed(fn):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0, out


@torch.inference_mode()
def generate(model, ids, new_tokens, mask=None):
    return model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens,
                          min_new_tokens=new_tokens, do_sample=False)


@torch.inference_mode()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=sorted(SHAPES))
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--prefill-tokens", type=int, default=8192)
    ap.add_argument("--offline", type=int, default=256, help="requests; 0 skips")
    ap.add_argument("--offline-batch", type=int, default=64)
    a = ap.parse_args()
    model, vocab = build(a.model)
    print(f"{a.model}: transformers {transformers.__version__}, torch {torch.__version__}, "
          f"{torch.cuda.get_device_name()}", flush=True)

    for b in [int(x) for x in a.batches.split(",") if x]:
        ids = torch.randint(0, vocab, (b, a.prompt), device="cuda")
        generate(model, ids, 2)  # warm-up
        t_one, _ = timed(lambda: generate(model, ids, 1))
        t_all, out = timed(lambda: generate(model, ids, a.gen))
        assert out.shape[1] == a.prompt + a.gen
        print(f"RESULT {a.model} hf_decode_b{b}_tok_s {b * (a.gen - 1) / (t_all - t_one):.1f}",
              flush=True)

    per = a.prefill_tokens // 8
    ids = torch.randint(0, vocab, (8, per), device="cuda")
    times = []
    for rep in range(4):
        t, _ = timed(lambda: model(input_ids=ids, logits_to_keep=1))
        if rep:
            times.append(t)
    times.sort()
    print(f"RESULT {a.model} hf_prefill_tok_s {8 * per / times[len(times) // 2]:.1f}", flush=True)

    if a.offline:
        rng = random.Random(0)
        reqs = [(rng.randint(100, 1024), rng.randint(100, 1024)) for _ in range(a.offline)]
        reqs.sort(key=lambda r: r[0])
        useful = sum(r[1] for r in reqs)
        total = 0.0
        for i in range(0, len(reqs), a.offline_batch):
            batch = reqs[i:i + a.offline_batch]
            longest = max(r[0] for r in batch)
            ids = torch.zeros((len(batch), longest), dtype=torch.long, device="cuda")
            mask = torch.zeros_like(ids)
            for j, (n, _) in enumerate(batch):  # left padding
                ids[j, longest - n:] = torch.randint(0, vocab, (n,), device="cuda")
                mask[j, longest - n:] = 1
            t, _ = timed(lambda: generate(model, ids, max(r[1] for r in batch), mask))
            total += t
        print(f"RESULT {a.model} hf_offline_tok_s {useful / total:.1f}", flush=True)
        print(f"RESULT {a.model} hf_offline_s {total:.2f}", flush=True)


if __name__ == "__main__":
    main()
