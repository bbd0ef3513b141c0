#!/usr/bin/env python3
"""Measures an OpenAI-compatible server (`pagoda-cli serve`) from outside, over HTTP/1.1 streams.

  batch 1:   one streamed /v1/completions request (B1_PROMPT random token ids, B1_TOKENS tokens,
             ignore_eos, temperature 0): time to first token and decode tok/s (the tokens after
             the first over the time after the first), the median of B1_RUNS runs;
  workload:  nano-vllm's benchmark: REQUESTS streamed requests sent at once, prompt and output
             lengths uniform in [MIN_LEN, MAX_LEN], random ids, ignore_eos: output tok/s (tokens
             counted from each stream's final usage chunk), TTFT and inter-token latency p50/p99.

The workload comes from the seeded generator of tests/bench/bench_workload.h (SplitMix64), so
`pagoda-bench --engine` drives the engine in-process with the very same requests; both print the
workload's fingerprint. Prints one "RESULT serve_<name> <key> <value>" line per number and exits
non-zero when any request fails (an HTTP error, an error event, a missing [DONE], or a usage
count other than max_tokens). Python standard library only: asyncio streams, raw HTTP/1.1, SSE.

A token that ends inside a UTF-8 character comes with the next one (the server never sends half
a character), and events that arrive in one read share a timestamp: TTFT and ITL are measured per
text event, as vLLM's benchmark_serving does (special tokens are sent as text, so that a random
model repeating one gives events too; the count of events per token is printed).
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
import urllib.parse


# ---- the workload (mirrors tests/bench/bench_workload.h; test_bench_workload compares them) ----
MASK64 = (1 << 64) - 1


class WorkloadRng:
    """SplitMix64; uniform(lo, hi) takes one draw by a 64x64->128-bit multiply."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + ((self.next() * (hi - lo + 1)) >> 64)


def random_workload(requests, min_prompt, max_prompt, min_output, max_output, vocab, seed):
    """[(prompt ids, max_new_tokens)]: per request its prompt length, output length, then ids."""
    rng = WorkloadRng(seed)
    out = []
    for _ in range(requests):
        n = rng.uniform(min_prompt, max_prompt)
        max_new = rng.uniform(min_output, max_output)
        out.append(([rng.uniform(0, vocab - 1) for _ in range(n)], max_new))
    return out


def workload_fingerprint(workload):
    h = 0xCBF29CE484222325
    for prompt, max_new in workload:
        for v in [len(prompt), max_new, *prompt]:
            for i in range(8):
                h ^= (v >> (8 * i)) & 0xFF
                h = (h * 0x100000001B3) & MASK64
    return h


def workload_summary(workload):
    prompt = sum(len(p) for p, _ in workload)
    output = sum(m for _, m in workload)
    return (f"workload: {len(workload)} requests, {prompt} prompt tokens, {output} output tokens, "
            f"fingerprint {workload_fingerprint(workload):016x}")


def tokenizer_vocab_size(folder):
    """Ids a prompt may use: the tokenizer's vocabulary with its added tokens (largest id + 1)."""
    with open(f"{folder}/tokenizer.json", encoding="utf-8") as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    ids = list(vocab.values()) if isinstance(vocab, dict) else range(len(vocab))
    ids = [*ids, *(t["id"] for t in tok.get("added_tokens", []))]
    return max(ids) + 1


def percentile(values, p):
    """Nearest rank after sorting, as pagoda-bench's percentile()."""
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100.0 * (len(v) - 1) + 0.5))]


# ---- HTTP/1.1 and server-sent events ----
class HttpError(Exception):
    pass


async def read_head(reader):
    status_line = await reader.readline()
    if not status_line:
        raise HttpError("connection closed before a response")
    parts = status_line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"bad status line {status_line!r}")
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def body_pieces(reader, headers):
    """Yields the body as it arrives (chunked, Content-Length or until close)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise HttpError("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            data = await reader.readexactly(size)
            await reader.readexactly(2)
            yield data
    elif "content-length" in headers:
        left = int(headers["content-length"])
        while left > 0:
            data = await reader.read(min(left, 65536))
            if not data:
                raise HttpError("connection closed inside the body")
            left -= len(data)
            yield data
    else:
        while data := await reader.read(65536):
            yield data


class Endpoint:
    def __init__(self, base_url, api_key=None):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme != "http":
            raise SystemExit(f"only http:// URLs are supported, got {base_url}")
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.prefix = u.path.rstrip("/")
        if self.prefix.endswith("/v1"):
            self.prefix = self.prefix[:-3]
        self.api_key = api_key

    async def open(self, method, path, body=None):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Connection: close", "Accept: text/event-stream, application/json"]
        if self.api_key:
            head.append(f"Authorization: Bearer {self.api_key}")
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        status, headers = await read_head(reader)
        return reader, writer, status, headers

    async def get_json(self, path):
        reader, writer, status, headers = await self.open("GET", path)
        try:
            body = b"".join([p async for p in body_pieces(reader, headers)])
        finally:
            writer.close()
        if status != 200:
            raise HttpError(f"GET {path}: HTTP {status}: {body[:200]!r}")
        return json.loads(body)


class StreamResult:
    def __init__(self, max_tokens):
        self.max_tokens = max_tokens
        self.start = 0.0
        self.end = 0.0
        self.event_times = []  # arrival of each event that carries text (or the finish)
        self.completion_tokens = None
        self.finish_reason = None
        self.done = False
        self.error = None

    @property
    def ttft(self):
        return self.event_times[0] - self.start

    def check(self):
        """Why this request does not count, or None."""
        if self.error:
            return self.error
        if not self.done:
            return "the stream ended without data: [DONE]"
        if self.completion_tokens != self.max_tokens:
            return f"usage says {self.completion_tokens} completion tokens, asked {self.max_tokens}"
        if self.finish_reason != "length":
            return f"finish_reason {self.finish_reason!r}, expected 'length'"
        if not self.event_times:
            return "no text arrived"
        return None


def handle_event(data, now, res):
    if data == "[DONE]":
        res.done = True
        return
    obj = json.loads(data)
    if "error" in obj:
        res.error = f"error event: {obj['error'].get('message', obj['error'])}"
        return
    for c in obj.get("choices") or []:
        if c.get("text") or c.get("finish_reason"):
            res.event_times.append(now)
        if c.get("finish_reason"):
            res.finish_reason = c["finish_reason"]
    if obj.get("usage"):
        res.completion_tokens = obj["usage"].get("completion_tokens")


async def stream_completion(ep, model, prompt, max_tokens, timeout):
    res = StreamResult(max_tokens)
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
            "ignore_eos": True, "skip_special_tokens": False, "stream": True,
            "stream_options": {"include_usage": True}}
    res.start = time.monotonic()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer, status, headers = await ep.open("POST", "/v1/completions", body)
            pending = b""
            if status != 200:
                text = b"".join([p async for p in body_pieces(reader, headers)])
                res.error = f"HTTP {status}: {text[:300].decode(errors='replace')}"
                return res
            async for piece in body_pieces(reader, headers):
                now = time.monotonic()
                pending += piece.replace(b"\r\n", b"\n")
                while (end := pending.find(b"\n\n")) >= 0:
                    event, pending = pending[:end], pending[end + 2:]
                    for line in event.split(b"\n"):
                        if line.startswith(b"data:"):
                            handle_event(line[5:].strip().decode(), now, res)
    except TimeoutError:
        res.error = f"no end within --timeout {timeout} s"
    except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as e:
        res.error = f"{type(e).__name__}: {e}"
    finally:
        if writer is not None:
            writer.close()
        res.end = time.monotonic()
    return res


async def stream_all(ep, model, jobs, timeout):
    return await asyncio.gather(*(stream_completion(ep, model, p, m, timeout) for p, m in jobs))


def client_process(url, api_key, model, jobs, timeout, barrier, conn):
    """One client process: its share of the requests, all sent once every client is ready."""
    ep = Endpoint(url, api_key)
    barrier.wait(timeout=120)
    results = asyncio.run(stream_all(ep, model, jobs, timeout))
    conn.send([vars(r) for r in results])
    conn.close()


def run_streams(args, model, jobs):
    """All jobs at once, spread over --clients processes (one Python thread parsing 20K events
    a second would add its own queueing to the latencies). Returns (results in job order, the
    common start); the clock is CLOCK_MONOTONIC, shared by the processes."""
    n = max(1, min(args.clients, len(jobs)))
    if n == 1:
        t0 = time.monotonic()
        return asyncio.run(stream_all(Endpoint(args.url, args.api_key), model, jobs,
                                      args.timeout)), t0
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n + 1)
    procs, pipes = [], []
    for k in range(n):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=client_process, args=(args.url, args.api_key, model, jobs[k::n],
                                                     args.timeout, barrier, send), daemon=True)
        p.start()
        send.close()  # the child's copy is the only writer left: its death reads as EOF
        procs.append(p)
        pipes.append(recv)
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        raise SystemExit("the client processes did not start")
    t0 = time.monotonic()
    results = [None] * len(jobs)
    for k, recv in enumerate(pipes):
        try:
            parts = recv.recv()
        except EOFError:
            parts = None
        for j, i in enumerate(range(k, len(jobs), n)):
            r = StreamResult(jobs[i][1])
            if parts is None:
                r.error = f"client process {k} died"
            else:
                vars(r).update(parts[j])
            results[i] = r
    for p in procs:
        p.join()
    return results, t0


# ---- the measurements ----
def fail_report(results, what):
    bad = [(i, r.check()) for i, r in enumerate(results) if r.check()]
    for i, why in bad[:10]:
        print(f"{what} request {i} FAILED: {why}", file=sys.stderr)
    return len(bad)


async def batch1(ep, model, args, vocab, emit):
    prompt = random_workload(1, args.b1_prompt, args.b1_prompt, 1, 1, vocab, args.seed + 1)[0][0]
    ttfts, rates, errors = [], [], 0
    for _ in range(args.b1_runs):
        r = await stream_completion(ep, model, prompt, args.b1_tokens, args.timeout)
        if fail_report([r], "batch-1"):
            errors += 1
            continue
        ttfts.append(r.ttft)
        span = r.event_times[-1] - r.event_times[0]
        rates.append((r.completion_tokens - 1) / span if span > 0 else 0.0)
    if not errors:
        emit("b1_ttft_ms", 1e3 * statistics.median(ttfts))
        emit("b1_decode_tok_s", statistics.median(rates))
    emit("b1_errors", errors)
    return errors


def workload_run(model, args, vocab, emit):
    if args.warmup > 0:  # the first steps of each batch shape (graph capture) stay out of it
        warm = random_workload(args.warmup, args.min_len, args.max_len, 16, 16, vocab,
                               args.seed + 2)
        run_streams(args, model, warm)
    work = random_workload(args.requests, args.min_len, args.max_len, args.min_len, args.max_len,
                           vocab, args.seed)
    print(workload_summary(work), flush=True)
    results, t0 = run_streams(args, model, work)
    wall = max(r.end for r in results) - t0
    errors = fail_report(results, "workload")
    if errors:  # a partial run's figures would not be the workload's
        emit("errors", errors)
        return errors
    tokens = sum(r.completion_tokens for r in results)
    ttft = [r.ttft for r in results]
    itl = [b - a for r in results for a, b in zip(r.event_times, r.event_times[1:])]
    events = sum(len(r.event_times) for r in results)
    print(f"{events} text events for {tokens} tokens (ITL is per event)", flush=True)
    emit("offline_tok_s", tokens / wall)
    emit("offline_s", wall)
    emit("ttft_p50_ms", 1e3 * percentile(ttft, 50))
    emit("ttft_p99_ms", 1e3 * percentile(ttft, 99))
    emit("itl_p50_ms", 1e3 * percentile(itl, 50))
    emit("itl_p99_ms", 1e3 * percentile(itl, 99))
    emit("errors", errors)
    return errors


async def wait_ready(ep, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            reader, writer, status, _ = await ep.open("GET", "/health")
            writer.close()
            if status == 200:
                return
        except (OSError, HttpError, asyncio.IncompleteReadError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server at {ep.host}:{ep.port} was not ready in {seconds} s")
        await asyncio.sleep(0.5)


async def prepare(args):
    ep = Endpoint(args.url, args.api_key)
    if args.wait > 0:
        await wait_ready(ep, args.wait)
    try:
        return args.model or (await ep.get_json("/v1/models"))["data"][0]["id"]
    except (OSError, HttpError, ValueError, KeyError, IndexError) as e:
        raise SystemExit(f"cannot read {args.url}/v1/models: {type(e).__name__}: {e}")


def run(args):
    model = asyncio.run(prepare(args))
    vocab = args.vocab or (tokenizer_vocab_size(args.tokenizer) if args.tokenizer else None)
    if not vocab:
        raise SystemExit("give --vocab N or --tokenizer DIR (the ids prompts may use)")
    print(f"serving {model} at {args.url}; prompt ids in [0, {vocab}); "
          f"{args.clients} client process(es)", flush=True)

    def emit(key, value):
        print(f"RESULT serve_{args.name} {key} {value:.2f}" if isinstance(value, float)
              else f"RESULT serve_{args.name} {key} {value}", flush=True)

    errors = 0
    if args.b1_runs > 0:
        errors += asyncio.run(batch1(Endpoint(args.url, args.api_key), model, args, vocab, emit))
    if args.requests > 0:
        errors += workload_run(model, args, vocab, emit)
    return 1 if errors else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
    p.add_argument("--name", default="model", help="RESULT lines read 'RESULT serve_NAME ...'")
    p.add_argument("--model", help="model id in the requests (default: the first of /v1/models)")
    p.add_argument("--api-key")
    p.add_argument("--vocab", type=int, help="prompt ids are drawn from [0, VOCAB)")
    p.add_argument("--tokenizer", help="folder whose tokenizer.json gives VOCAB")
    p.add_argument("--requests", type=int, default=256, help="workload requests (0: skip)")
    p.add_argument("--min-len", type=int, default=100, help="prompt and output length, lowest")
    p.add_argument("--max-len", type=int, default=1024, help="prompt and output length, highest")
    p.add_argument("--seed", type=int, default=0, help="workload seed (pagoda-bench uses 0)")
    p.add_argument("--warmup", type=int, default=16, help="16-token requests sent before")
    p.add_argument("--b1-prompt", type=int, default=128)
    p.add_argument("--b1-tokens", type=int, default=256)
    p.add_argument("--b1-runs", type=int, default=3, help="batch-1 runs (0: skip)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per request")
    p.add_argument("--clients", type=int, default=min(8, os.cpu_count() or 1),
                   help="client processes the workload's streams are spread over")
    p.add_argument("--wait", type=float, default=0, help="first wait up to this for /health")
    p.add_argument("--print-workload", action="store_true",
                   help="print the workload (one 'prompt_len max_new ids...' line per request) "
                        "and its summary, then exit (no server)")
    args = p.parse_args()
    if not 1 <= args.min_len <= args.max_len:
        p.error("need 1 <= --min-len <= --max-len")
    if args.print_workload:
        if not args.vocab:
            p.error("--print-workload needs --vocab")
        work = random_workload(args.requests, args.min_len, args.max_len, args.min_len,
                               args.max_len, args.vocab, args.seed)
        for prompt, max_new in work:
            print(len(prompt), max_new, *prompt)
        print(workload_summary(work))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
