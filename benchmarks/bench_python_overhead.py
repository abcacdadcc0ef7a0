#!/usr/bin/env python3
"""Per-call cost of a keraunos-compiled function called from Python, next to eager PyTorch and
torch.compile (Inductor), all measured in the same run.

    python3 benchmarks/bench_python_overhead.py [--calls 1000] [--batches 25] [--no-torch-compile]

Cases (CPU, float32, under torch.no_grad() unless the case says otherwise):
  x + 1               a one-op function on a 4-element tensor: the call overhead itself
  F.linear(x, w, b)   the 8->8 Linear as a function of three tensors
  nn.Linear module    the same as a module: adds collecting its parameters and mode on each call
  nn.Linear, grad on  the module with grad mode on (its parameters require grad): the autograd path

Each time is the median over batches of per-call times (a batch: `calls` back-to-back calls timed
with time.perf_counter_ns); the batches of the different callables are interleaved so a busy
machine slows them alike. The target is <= 10 us per call for keraunos on the one-op function.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import keraunos  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "python"))  # a build tree: the extension sits in python/keraunos

import torch  # noqa: E402

import keraunos  # noqa: E402

TARGET_US = 10.0


def per_call_us(fns: dict, args: tuple, calls: int, batches: int) -> tuple[dict, dict]:
    """({name: median wall-clock us per call}, {name: median thread CPU us per call}). Warms each
    callable up first. The CPU time leaves out the time the thread waited for a core, so it says
    what the wall time would be on an idle machine."""
    for fn in fns.values():
        for _ in range(max(10, calls // 10)):
            fn(*args)
    wall = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(batches):
        for name, fn in fns.items():
            rng = range(calls)
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            for _ in rng:
                fn(*args)
            t1 = time.perf_counter_ns()
            wall[name].append((t1 - t0) / calls / 1e3)
            cpu[name].append((time.thread_time_ns() - c0) / calls / 1e3)
    return ({name: statistics.median(s) for name, s in wall.items()}, {name: statistics.median(s) for name, s in cpu.items()})


def add_one(x):
    return x + 1


def linear_fn(x, w, b):
    return torch.nn.functional.linear(x, w, b)


def overhead_cases() -> list[tuple[str, object, tuple, bool]]:
    """(label, eager callable, inputs, grad mode on) for each case."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(8, 8).eval()
    x8 = torch.randn(4, 8)
    w, b = linear.weight.detach(), linear.bias.detach()
    return [
        ("x + 1 (4 elements)", add_one, (torch.ones(4),), False),
        ("F.linear(x, w, b) 8->8", linear_fn, (x8, w, b), False),
        ("nn.Linear 8->8 module", linear, (x8,), False),
        ("nn.Linear 8->8, grad on", linear, (x8,), True),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1000, help="calls per timed batch")
    ap.add_argument("--batches", type=int, default=25, help="timed batches per callable")
    ap.add_argument("--no-torch-compile", action="store_true")
    args = ap.parse_args()
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)

    cases = overhead_cases()
    print(
        f"per-call time from Python, us (median of {args.batches} batches x {args.calls} calls; "
        f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__.split('+')[0]})"
    )
    print()
    cols = ["eager", "keraunos", "torch.compile"] if not args.no_torch_compile else ["eager", "keraunos"]
    header = f"{'case':26s}" + "".join(f"{c:>15s}" for c in cols) + f"{'keraunos-eager':>16s}" + f"{'keraunos/eager':>16s}"
    if "torch.compile" in cols:
        header += f"{'keraunos/compile':>18s}"
    rows, notes, results = [], [], []
    for label, fn, x, grad in cases:
        ctx = contextlib.nullcontext() if grad else torch.no_grad()
        with ctx:
            fns = {"eager": fn, "keraunos": keraunos.jit(fn)}
            expected = fn(*x)
            got = fns["keraunos"](*x)
            if not torch.allclose(got, expected):
                notes.append(f"{label}: keraunos's result differs from eager's")
            if "torch.compile" in cols:
                try:
                    t0 = time.perf_counter()
                    c = torch.compile(fn)
                    c(*x)
                    notes.append(f"{label}: torch.compile took {time.perf_counter() - t0:.2f} s to compile")
                    fns["torch.compile"] = c
                except Exception as e:
                    notes.append(f"{label}: torch.compile failed ({type(e).__name__}: {str(e).splitlines()[0][:80]})")
            us, cpu_us = per_call_us(fns, x, args.calls, args.batches)
        results.append((us, cpu_us))
        row = f"{label:26s}" + "".join(f"{us[c]:15.2f}" if c in us else f"{'-':>15s}" for c in cols)
        row += f"{us['keraunos'] - us['eager']:16.2f}{us['keraunos'] / us['eager']:15.1f}x"
        if "torch.compile" in cols:
            row += f"{us['keraunos'] / us['torch.compile']:17.2f}x" if "torch.compile" in us else f"{'-':>18s}"
        rows.append(row)
    print(header)
    print("-" * len(header))
    print("\n".join(rows))
    print()
    for n in notes:
        print(n)
    (wall, cpu), (lin_fn, _), (lin_mod, _) = results[0], results[1], results[2]
    k = wall["keraunos"]
    load = os.getloadavg()[0]
    ncpu = os.cpu_count() or 1
    print()
    print(
        f"keraunos, one-op function: {k:.2f} us per call, {k - wall['eager']:.2f} us more than eager; "
        f"target <= {TARGET_US:.0f} us: {'MET' if k <= TARGET_US else 'NOT MET'}"
    )
    print(
        f"  thread CPU time per call: keraunos {cpu['keraunos']:.2f} us, eager {cpu['eager']:.2f} us "
        f"(load average {load:.1f} on {ncpu} cores{'; wall times are inflated by other work' if load > ncpu else ''})"
    )
    module = cases[2][1]
    assert isinstance(module, torch.nn.Module)
    n_state = len(list(module.parameters())) + len(list(module.buffers()))
    print(
        f"a module instead of a function (collecting its {n_state} parameters/buffers, its mode): "
        f"{lin_mod['keraunos'] - lin_fn['keraunos']:+.2f} us per call with keraunos, "
        f"{lin_mod['eager'] - lin_fn['eager']:+.2f} us eager (nn.Module.__call__)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
