#!/usr/bin/env python3
"""Same-run comparison of two keraunos builds: is this checkout as fast as an earlier one?

    git worktree add ../base <commit> && (cd ../base && bash scripts/build.sh)
    PYTHONPATH=python python3 benchmarks/compare_builds.py --base ../base [--rounds 5] [--quick]

Each round runs one worker process per build, alternating which goes first, and each worker times
keraunos (not eager) on the CPU fuser's cases (`bench_fuser.py`) and the per-call overhead cases
(`bench_python_overhead.py`). Both builds run the same case definitions (this checkout's); only the
keraunos package differs. The report gives, per case, the median over rounds for each build, the
ratio this/base (above 1: slower) and the spread of the base's rounds (max/min), so a ratio inside
that spread is noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(root: str, quick: bool) -> dict[str, float]:
    """Times keraunos from the build at `root`: ms per call for fuser cases, us per call for overhead cases."""
    sys.path.insert(0, os.path.join(root, "python"))
    import keraunos  # the build under test: the benchmark modules below reuse this import

    assert os.path.realpath(keraunos.__file__).startswith(os.path.realpath(root)), keraunos.__file__
    sys.path.insert(1, HERE)
    import torch
    from bench_fuser import cases, median_ms
    from bench_python_overhead import overhead_cases, per_call_us

    out: dict[str, float] = {}
    reps = 5 if quick else 9
    with torch.no_grad():
        for name, fn, args, _ in cases(quick):
            out[f"{name} (ms)"] = median_ms(keraunos.jit(fn), *args, reps=reps)
    for label, fn, args, grad in overhead_cases():
        torch.set_grad_enabled(grad)
        wall, _cpu = per_call_us({"keraunos": keraunos.jit(fn)}, args, calls=1000, batches=9 if quick else 15)
        out[f"{label} (us/call)"] = wall["keraunos"]
    torch.set_grad_enabled(True)
    return out


def run_worker(root: str, quick: bool) -> dict[str, float]:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", root] + (["--quick"] if quick else [])
    env = dict(os.environ, PYTHONPATH="")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        raise SystemExit(f"worker for {root} failed:\n{res.stdout}\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", help="the earlier checkout, built (its python/keraunos holds the extension)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.quick)))
        return 0
    if not a.base:
        ap.error("--base is required")
    builds = {"base": os.path.abspath(a.base), "this": ROOT}
    runs: dict[str, list[dict[str, float]]] = {"base": [], "this": []}
    for r in range(a.rounds):
        order = ["base", "this"] if r % 2 == 0 else ["this", "base"]
        for b in order:
            t0 = time.perf_counter()
            runs[b].append(run_worker(builds[b], a.quick))
            print(f"round {r + 1}/{a.rounds}: {b} in {time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    head = git_head(builds["base"]), git_head(ROOT)
    print(f"\nbase {head[0]} ({builds['base']}) vs this {head[1]}; {a.rounds} rounds, {os.cpu_count()} cores")
    print("| case | base | this | this/base | base spread (max/min) |")
    print("|---|---|---|---|---|")
    for case in runs["base"][0]:
        b = [x[case] for x in runs["base"]]
        t = [x[case] for x in runs["this"]]
        mb, mt = statistics.median(b), statistics.median(t)
        print(f"| {case} | {mb:.3f} | {mt:.3f} | {mt / mb:.3f} | {max(b) / min(b):.3f} |")
    return 0


def git_head(root: str) -> Any:
    res = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return res.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
