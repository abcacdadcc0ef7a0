#!/usr/bin/env python3
"""keraunos against eager PyTorch and torch.compile (Inductor) on one device, all in the same run:
the cases of the GPU-floor issue (#20), on CUDA by default, or on the CPU with --device cpu.

    python3 benchmarks/bench_gpu.py [--device cuda|cpu] [--only chain,host_add] [--no-compile | --compile-only chain]
                                    [--quick] [--json out.jsonl]

Cases (bf16 unless noted; sizes shrink on the CPU):
  chain        the 20-op tanh/sigmoid chain of bench_fuser.py on 2^26 float32 elements (memory-bound:
               also its bandwidth as a fraction of a measured device-to-device copy)
  gpt2_infer   GPT-2 124M (examples/gpt.py) inference, batch 8 x 1024, no_grad
  gpt_train    a 4-layer GPT of GPT-2's width, forward + backward, batch 8 x 1024
  lm_head      linear -> cross_entropy, 8192 x 4096 x 128256, forward + backward
  host_add     host time per call of `x + y` on 8 elements (the call overhead itself)
  host_chain   host time per call of the 20-op chain on 8 elements

Columns: eager, keraunos with its default executors, keraunos with only ATen (`executors=["aten"]`:
what runs when nothing fuses; on CUDA the CPU fuser claims nothing, so the two should agree), and
torch.compile. Device times are CUDA-event medians (or wall-clock medians on the CPU) over
repetitions after warm-up; host times are wall-clock per call over batches of back-to-back calls,
the batches of the different callables interleaved, with one synchronize per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
try:
    import keraunos  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import keraunos  # noqa: E402
from examples.gpt import GPT, GPTConfig  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fuser import chain20  # noqa: E402  (the same chain as the CPU fuser's benchmark)


def add(x, y):
    return x + y


def sync(dev):
    if dev == "cuda":
        torch.cuda.synchronize()


def device_ms(fn, dev, reps, warmup=3):
    """Median time of fn() in ms: CUDA events on CUDA, wall clock on the CPU."""
    for _ in range(warmup):
        fn()
    sync(dev)
    times = []
    for _ in range(reps):
        if dev == "cuda":
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def host_us(fns: dict, dev, calls, batches):
    """Median wall-clock us per call of each callable; batches interleaved across callables."""
    for fn in fns.values():
        for _ in range(max(20, calls // 10)):
            fn()
    sync(dev)
    per = {k: [] for k in fns}
    for _ in range(batches):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            for _ in range(calls):
                fn()
            sync(dev)
            per[name].append((time.perf_counter_ns() - t0) / calls / 1e3)
    return {k: statistics.median(v) for k, v in per.items()}


def copy_gbps(dev, numel):
    """A measured device copy: bytes read + written per second."""
    a = torch.empty(numel, dtype=torch.float32, device=dev).uniform_()
    b = torch.empty_like(a)
    ms = device_ms(lambda: b.copy_(a), dev, reps=20)
    return 2 * a.numel() * 4 / (ms * 1e-3) / 1e9


def columns(wrap, fn, use_compile):
    """{column: timed callable}: `wrap(f)` times f, for f the eager `fn`, keraunos.jit(fn) with the
    default executors and with ATen only, and torch.compile(fn)."""
    out = {"eager": wrap(fn), "keraunos": wrap(keraunos.jit(fn)), "keraunos-aten": wrap(keraunos.jit(fn, executors=["aten"]))}
    if torch.cuda.is_available() and "fuser_cuda" in keraunos._C.executors():
        # The CUDA fuser, opt-in until its kernels are checked on a GPU (docs/fuser.md).
        out["keraunos-fuser_cuda"] = wrap(keraunos.jit(fn, executors=["fuser_cuda"]))
    if use_compile:
        out["torch.compile"] = wrap(torch.compile(fn))
    return out


# -- cases -----------------------------------------------------------------------------------------
# Each returns {column: callable} and facts about the case (bytes a single fused pass moves, or
# that it measures host time).


def case_chain(dev, quick, use_compile):
    n = 1 << (22 if quick else (26 if dev == "cuda" else 24))
    x = torch.randn(n, device=dev)
    return columns(lambda f: lambda: f(x), chain20, use_compile), {"bytes_fused": 2 * n * 4}


def case_chain_bf16(dev, quick, use_compile):
    n = 1 << (22 if quick else (26 if dev == "cuda" else 24))
    x = torch.randn(n, device=dev, dtype=torch.bfloat16)
    return columns(lambda f: lambda: f(x), chain20, use_compile), {"bytes_fused": 2 * n * 2}


def _gpt_model(dev, n_layer, quick):
    if dev == "cuda":
        cfg = GPTConfig(name="bench", block_size=1024, vocab_size=50304, n_layer=n_layer, n_head=12, n_embd=768)
        B, T = (2, 256) if quick else (8, 1024)
    else:
        cfg = GPTConfig(name="bench", block_size=256, vocab_size=4096, n_layer=min(n_layer, 6), n_head=6, n_embd=384)
        B, T = (2, 64) if quick else (4, 256)
    return GPT(cfg).to(dev, torch.bfloat16), B, T, cfg


def case_gpt2_infer(dev, quick, use_compile):
    m, B, T, cfg = _gpt_model(dev, 12, quick)
    m.eval()
    idx = torch.randint(0, cfg.vocab_size, (B, T), device=dev)

    def infer(f):
        def go():
            with torch.no_grad():
                return f(idx)

        return go

    return columns(infer, m, use_compile), {}


def case_gpt_train(dev, quick, use_compile):
    m, B, T, cfg = _gpt_model(dev, 4, quick)
    m.train()
    idx = torch.randint(0, cfg.vocab_size, (B, T), device=dev)
    tgt = torch.randint(0, cfg.vocab_size, (B, T), device=dev)

    def step(f):
        def go():
            _, loss = f(idx, tgt)
            loss.backward()
            for p in m.parameters():
                p.grad = None

        return go

    return columns(step, m, use_compile), {}


def lm_head(x, w, t):
    return F.cross_entropy(F.linear(x, w), t)


def case_lm_head(dev, quick, use_compile):
    N, D, V = ((1024, 1024, 32000) if quick else (8192, 4096, 128256)) if dev == "cuda" else (512, 256, 8192)
    x = (torch.randn(N, D, device=dev) * 0.1).to(torch.bfloat16).requires_grad_()
    w = (torch.randn(V, D, device=dev) * 0.02).to(torch.bfloat16).requires_grad_()
    t = torch.randint(0, V, (N,), device=dev)

    def step(f):
        def go():
            f(x, w, t).backward()
            x.grad = w.grad = None

        return go

    return columns(step, lm_head, use_compile), {}


def case_host_add(dev, quick, use_compile):
    x, y = torch.randn(8, device=dev), torch.randn(8, device=dev)
    return columns(lambda f: lambda: f(x, y), add, use_compile), {"host": True}


def case_host_chain(dev, quick, use_compile):
    x = torch.randn(8, device=dev)
    return columns(lambda f: lambda: f(x), chain20, use_compile), {"host": True}


CASES = {
    "chain": case_chain,
    "chain_bf16": case_chain_bf16,
    "gpt2_infer": case_gpt2_infer,
    "gpt_train": case_gpt_train,
    "lm_head": case_lm_head,
    "host_add": case_host_add,
    "host_chain": case_host_chain,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--no-compile", action="store_true", help="leave out torch.compile (its compiles take minutes)")
    ap.add_argument("--compile-only", default="", help="comma-separated cases that get a torch.compile column (default: all)")
    ap.add_argument("--quick", action="store_true", help="small sizes, few repetitions")
    ap.add_argument("--json", default="", help="append one JSON line per case to this file")
    args = ap.parse_args()
    dev = args.device
    only = [c for c in args.only.split(",") if c]
    reps = 5 if args.quick else 20
    card = torch.cuda.get_device_name() if dev == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"# bench_gpu on {card}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}")
    gbps = copy_gbps(dev, 1 << (26 if dev == "cuda" else 24))
    print(f"# device copy: {gbps:.0f} GB/s (read + write)")
    rows = []
    for name, make in CASES.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        use_compile = not args.no_compile and (not args.compile_only or name in args.compile_only.split(","))
        fns, info = make(dev, args.quick, use_compile)
        if info.get("host"):
            res = host_us(fns, dev, calls=200 if args.quick else 2000, batches=5 if args.quick else 15)
            unit = "us/call"
        else:
            res = {k: device_ms(fn, dev, reps) for k, fn in fns.items()}
            unit = "ms"
        row = {"case": name, "device": card, "unit": unit, **{k: round(v, 4) for k, v in res.items()}}
        if "bytes_fused" in info:
            for col in ("keraunos", "keraunos-fuser_cuda", "torch.compile"):
                if col in res:
                    row[f"{col}_fraction_of_copy"] = round(info["bytes_fused"] / (res[col] * 1e-3) / 1e9 / gbps, 4)
        rows.append(row)
        cols = [k for k in ("eager", "keraunos", "keraunos-aten", "keraunos-fuser_cuda", "torch.compile") if k in res]
        ratio = res["eager"] / res["keraunos"]
        extra = f"  keraunos-eager {res['keraunos'] - res['eager']:+.2f} us" if info.get("host") else ""
        print(f"{name:<12} " + "  ".join(f"{c} {res[c]:.3f}" for c in cols) + f" {unit}   eager/keraunos {ratio:.3f}x{extra}", flush=True)
        if args.json:
            with open(args.json, "a") as fh:
                fh.write(json.dumps(row) + "\n")
        del fns
        if dev == "cuda":
            torch.cuda.empty_cache()
    print()
    print(f"{'case':<12} {'unit':<8} {'eager':>10} {'keraunos':>10} {'kr-aten':>10} {'kr-cuda':>10} {'compile':>10} {'eager/kr':>9}")
    for r in rows:
        print(
            f"{r['case']:<12} {r['unit']:<8} {r['eager']:>10.3f} {r['keraunos']:>10.3f} {r.get('keraunos-aten', float('nan')):>10.3f} "
            f"{r.get('keraunos-fuser_cuda', float('nan')):>10.3f} {r.get('torch.compile', float('nan')):>10.3f} "
            f"{r['eager'] / r['keraunos']:>8.3f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
