#!/usr/bin/env python3
"""The keraunos demo: compile a GPT with keraunos on the CPU, check it against eager PyTorch, show
where its ops went and what the execution trace looks like, and time it next to eager and
torch.compile (Inductor).

    python3 tools/demo.py                       # the "small" GPT (~12M parameters)
    python3 tools/demo.py --config tiny-llama   # RoPE, RMSNorm, SwiGLU, grouped-query attention
    python3 tools/demo.py --dtype bfloat16 --no-torch-compile
    python3 tools/demo.py --threads 0           # torch's default thread count (timed with 1 by default)

Exits non-zero when keraunos's logits differ from eager's.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # examples.gpt
try:
    import keraunos  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "python"))  # a build tree: the extension sits in python/keraunos

import torch  # noqa: E402

import keraunos  # noqa: E402
from examples.gpt import CONFIGS, GPT  # noqa: E402

TOLERANCES = {
    torch.float32: dict(rtol=1.3e-6, atol=1e-5),  # torch.testing's defaults for fp32
    torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2),
}


def step(msg: str):
    """Prints `msg ...` now and returns a function that finishes the line with the elapsed time."""
    print(f"{msg} ...", end=" ", flush=True)
    t0 = time.perf_counter()

    def done(extra: str = "") -> float:
        dt = time.perf_counter() - t0
        print(f"{dt:.2f} s{extra}", flush=True)
        return dt

    return done


def clip(line: str, width: int = 118) -> str:
    return line if len(line) <= width else line[: width - 4] + " ..."


def abridged(text: str, head: int = 12, tail: int = 5) -> list[str]:
    lines = text.splitlines()
    if len(lines) > head + tail + 1:
        lines = lines[:head] + ["  ..."] + lines[-tail:]
    return ["  " + clip(line) for line in lines]


def time_interleaved(fns: dict, arg, seconds: float, min_rounds: int = 5, max_rounds: int = 200) -> dict:
    """Median seconds per call of each function, measured in rounds that call each one once (so a
    busy machine slows them all alike), after two warm-up calls each."""
    for fn in fns.values():
        fn(arg)
        fn(arg)
    times = {name: [] for name in fns}
    t_end = time.perf_counter() + seconds
    rounds = 0
    while rounds < min_rounds or (time.perf_counter() < t_end and rounds < max_rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            fn(arg)
            times[name].append(time.perf_counter_ns() - t0)
        rounds += 1
    return {name: statistics.median(ts) / 1e9 for name, ts in times.items()}, rounds


def ratio(t: float, base: float, base_name: str) -> str:
    r = base / t
    if 1 / 1.03 < r < 1.03:
        return f"about as fast as {base_name} ({r:.2f}x)"
    return f"{r:.2f}x faster than {base_name}" if r >= 1 else f"{1 / r:.2f}x slower than {base_name}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="small", choices=list(CONFIGS), help="GPT config (default: small)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--seconds", type=float, default=6.0, help="time budget of the speed measurement")
    ap.add_argument("--no-torch-compile", action="store_true", help="leave torch.compile out of the comparison")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="intra-op threads of eager, keraunos and Inductor alike (default 1: steady times on a shared "
        "machine, where two threads on two busy cores can be several times slower; 0: torch's default)",
    )
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
        try:  # Inductor's C++ kernels choose their thread count on their own
            import torch._inductor.config as inductor_config

            inductor_config.cpp.threads = args.threads
        except Exception:
            pass
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # "No CUDA runtime is found"

    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    model = GPT.from_name(args.config).to(dtype).eval()
    cfg = model.config
    idx = torch.randint(0, cfg.vocab_size, (args.batch, args.seq_len))
    kind = ", ".join(
        [
            "RoPE" if cfg.pos_embedding == "rope" else "learned positions",
            "RMSNorm" if cfg.norm == "rmsnorm" else "LayerNorm",
            "SwiGLU" if cfg.mlp == "swiglu" else "GELU",
            f"GQA {cfg.n_head}q/{cfg.n_query_groups}kv" if cfg.n_query_groups != cfg.n_head else "multi-head attention",
        ]
    )
    print(
        f'keraunos demo: GPT "{args.config}", {model.num_params() / 1e6:.1f}M parameters '
        f"({cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, vocab {cfg.vocab_size})"
    )
    print(
        f"  {kind}; batch {args.batch} x {args.seq_len} tokens, {args.dtype} on CPU, "
        f"{torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''} (--threads), torch {torch.__version__.split('+')[0]}"
    )
    print()

    with torch.no_grad():
        # -- compile and check ------------------------------------------------------------------
        expected = model(idx)
        fast = keraunos.jit(model)  # the default executors
        done = step("compiling with keraunos")
        try:
            got = fast(idx)  # the first call traces, runs the passes and builds the plan
            ci = keraunos.cache_info(fast)
            done(f"  (trace {ci['trace_ms']:.0f} ms, passes {ci['passes_ms']:.0f} ms, plan {ci['plan_ms']:.1f} ms)")
            again = fast(idx)  # the second call runs the cached plan
        except (keraunos.UnsupportedOpError, keraunos.KeraunosError) as e:
            print("failed")
            print(f"keraunos could not compile the model: {type(e).__name__}: {e}")
            return 2
        tol = TOLERANCES[dtype]
        diff = max((got.float() - expected.float()).abs().max().item(), (again.float() - expected.float()).abs().max().item())
        same = (
            got.shape == expected.shape
            and got.dtype == expected.dtype
            and torch.allclose(got, expected, **tol)
            and torch.allclose(again, expected, **tol)
        )
        print(
            f"{'correct' if same else 'WRONG'}: logits {list(got.shape)} {'match' if same else 'differ from'} eager, "
            f"max abs diff {diff:.2g} (allclose rtol={tol['rtol']:g}, atol={tol['atol']:g})"
        )
        if not same:
            print(f"  keraunos: {got.dtype} {list(got.shape)}, eager: {expected.dtype} {list(expected.shape)}")
            return 1

        # -- where the ops went -----------------------------------------------------------------
        pl = keraunos.placement(fast)
        counts = ", ".join(f"{ex} ran {n}" for ex, n in sorted(pl.counts().items(), key=lambda kv: -kv[1]))
        n_dec = sum(1 for row in pl.rows if row[1] == "decomposed")
        print(f"placement (which executor runs each op): {counts} ops")
        print(f"  {n_dec} torch-level ops no executor claimed whole were first decomposed into prims (keraunos.placement(f) has the table)")
        print()
        trace = str(keraunos.last_traces(fast))
        print(f"execution trace ({len(trace.splitlines())} lines; keraunos.last_traces(f) has it in full):")
        print("\n".join(abridged(trace)))
        print()

        # -- torch.compile ----------------------------------------------------------------------
        fns = {"eager PyTorch": model, "keraunos": fast}
        compile_s = None
        if not args.no_torch_compile:
            done = step("compiling with torch.compile (Inductor; the first run also builds C++ kernels)")
            try:
                compiled = torch.compile(model)
                out = compiled(idx)
                compile_s = done()
                if not torch.allclose(out, expected, **tol):
                    print(f"  note: torch.compile's logits differ from eager by {(out.float() - expected.float()).abs().max().item():.2g}")
                fns["torch.compile"] = compiled
            except Exception as e:  # no C++ compiler, an Inductor bug, ...
                print("failed")
                msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
                print(f"  torch.compile failed ({type(e).__name__}: {clip(msg, 90)}); comparing without it")

        # -- speed --------------------------------------------------------------------------------
        print("timing (median per call, interleaved rounds after warm-up) ...", end=" ", flush=True)
        med, rounds = time_interleaved(fns, idx, args.seconds)
        print(f"{rounds} calls each")
        base = med["eager PyTorch"]
        for name, t in med.items():
            note = "" if name == "eager PyTorch" else "  " + ratio(t, base, "eager")
            if name == "torch.compile" and compile_s is not None:
                note += f"  (compiling took {compile_s:.1f} s)"
            print(f"  {name:15s} {t * 1e3:8.2f} ms{note}")
        if "torch.compile" in med:
            print(f"  keraunos is {ratio(med['keraunos'], med['torch.compile'], 'torch.compile')}")
        ci = keraunos.cache_info(fast)
        print(f"  keraunos compiled once and reused its plan: {ci['hits']} cache hits, {ci['misses']} miss")
        if set(pl.counts()) == {"aten"}:
            print("  (only the ATen executor ran: keraunos calls the same kernels as eager, minus Python overhead)")
        load, ncpu = os.getloadavg()[0], os.cpu_count() or 1
        if load > ncpu:
            print(
                f"  note: the machine is busy (load average {load:.1f} on {ncpu} cores), so these times are noisy"
                + ("; --threads 1 steadies them" if torch.get_num_threads() > 1 else "")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
