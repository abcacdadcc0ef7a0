"""The CPU fuser against eager PyTorch and torch.compile (Inductor, CPU), measured in the same run.

    PYTHONPATH=python python3 benchmarks/bench_fuser.py [--quick]

(a) a 20-op elementwise chain on 16M float32 elements (with tanh and sigmoid, and once more with only
cheap ops); (b) softmax, layer_norm, rms_norm and the
cross-entropy forward on [8192, 4096] in float32 and bfloat16, and a softmax behind a boolean mask;
(c) reductions over the leading dim (sum, var_mean). For each: median time of eager, keraunos and torch.compile per call (each call
allocates its outputs, as a user's call does), the ratios, keraunos' achieved bandwidth (each input
read once, each output written once) as a fraction of a copy of the same number of bytes timed in
the same rounds, and keraunos with its host pool turned off (every output freshly mapped; huge pages
still requested) -- the pool's share of the gain.
"""

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import keraunos  # noqa: E402

ONLY = ""


def chain20(x):
    for i in range(5):
        x = x * 1.01
        x = x + 0.5
        x = torch.tanh(x) if i % 2 == 0 else torch.sigmoid(x)
        x = x - 0.25
    return x


def chain20_cheap(x):
    # The same shape of chain without transcendentals: bound by memory, not arithmetic.
    for _ in range(5):
        x = x * 1.01
        x = x + 0.5
        x = torch.clamp(x, -4.0, 4.0)
        x = x - 0.25
    return x


def median_ms(fn, *args, reps):
    fn(*args)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn(*args)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def interleaved_ms(fns, reps):
    """Medians of calls to each fn, one call of each per round: a shared machine's drift hits them alike."""
    for f in fns:
        f()
    ts = [[] for _ in fns]
    for _ in range(reps):
        for f, t in zip(fns, ts):
            t0 = time.perf_counter()
            f()
            t.append((time.perf_counter() - t0) * 1e3)
    return [statistics.median(t) for t in ts]


def in_cache_ms(k, x, reps):
    """keraunos' time for x's element count with the data in cache: a 2 MiB slice run again and again.
    Close to the full-size time means the kernel is bound by arithmetic, not memory."""
    part = x[: 1 << 18].clone()
    times = x.numel() // part.numel()

    def many():
        for _ in range(times):
            k(part)

    return median_ms(many, reps=max(3, reps // 3))


def run(name, fn, args, bytes_moved, reps, results):
    if ONLY not in name:
        return
    with torch.no_grad():
        want = fn(*args)
        k = keraunos.jit(fn)
        got = k(*args)
        tol = 2e-2 if torch.as_tensor(want[0] if isinstance(want, tuple) else want).dtype == torch.bfloat16 else 1e-4
        torch.testing.assert_close(got, want, rtol=tol, atol=tol)
        counts = keraunos.placement(k).counts()
        # The copy moves the kernel's bytes (half read, half written), timed in the same rounds.
        src = torch.empty(bytes_moved // 8, dtype=torch.float32).uniform_()
        dst = torch.empty_like(src)
        copy = (lambda s, d: lambda: d.copy_(s))(src, dst)
        t_eager, t_ker, t_copy = interleaved_ms([lambda: fn(*args), lambda: k(*args), copy], reps)
        del src, dst, copy
        keraunos.set_host_pool_limit(0)
        t_nopool = median_ms(k, *args, reps=reps)
        keraunos.set_host_pool_limit(2048)
        t0 = time.perf_counter()
        c = torch.compile(fn)
        c(*args)
        compile_s = time.perf_counter() - t0
        t_ind = median_ms(c, *args, reps=reps)
        t_cache = in_cache_ms(k, args[0], reps) if "chain" in name else None
    bw = bytes_moved / (t_copy * 1e-3) / 1e9
    gbps = bytes_moved / (t_ker * 1e-3) / 1e9
    results.append((name, t_eager, t_ker, t_ind, gbps, bw, t_nopool, t_cache))
    print(
        f"{name:34s} eager {t_eager:8.2f} ms | keraunos {t_ker:8.2f} ms ({t_eager / t_ker:5.2f}x eager, "
        f"{t_ind / t_ker:5.2f}x inductor) | inductor {t_ind:8.2f} ms | keraunos {gbps:5.1f} GB/s = {100 * gbps / bw:3.0f}% "
        f"of copy ({bw:.1f} GB/s) | pool off {t_nopool:8.2f} ms | {counts} | inductor compile {compile_s:.1f} s"
        + (f" | in cache {t_cache:.2f} ms" if t_cache else ""),
        flush=True,
    )


def cases(quick: bool) -> list[tuple[str, object, tuple, int]]:
    """(name, function, inputs, bytes a kernel must move) for each benchmark case."""
    torch.manual_seed(0)
    n = (1 << 22) if quick else (1 << 24)
    rows, cols = (2048, 4096) if quick else (8192, 4096)
    out = []
    x = torch.randn(n)
    out.append((f"20-op chain, {n / 1e6:.0f}M f32", chain20, (x,), 2 * n * 4))
    out.append((f"20-op chain without transcendentals, {n / 1e6:.0f}M f32", chain20_cheap, (x,), 2 * n * 4))
    for dt in (torch.float32, torch.bfloat16):
        m = torch.randn(rows, cols, dtype=dt)
        w = torch.randn(cols, dtype=dt)
        b = torch.randn(cols, dtype=dt)
        nb = rows * cols * m.element_size()
        short = "f32" if dt == torch.float32 else "bf16"
        out.append((f"softmax [{rows},{cols}] {short}", lambda t: torch.softmax(t, -1), (m,), 2 * nb))
        out.append((f"layer_norm [{rows},{cols}] {short}", lambda t, w, b: F.layer_norm(t, (cols,), w, b), (m, w, b), 2 * nb))
        out.append((f"rms_norm [{rows},{cols}] {short}", lambda t, w: F.rms_norm(t, (cols,), w, 1e-6), (m, w), 2 * nb))
        tgt = torch.randint(0, cols, (rows,))
        out.append((f"cross_entropy [{rows},{cols}] {short}", lambda t, y: F.cross_entropy(t, y), (m, tgt), nb))
    m = torch.randn(rows, cols)
    nb = rows * cols * 4
    mask = torch.rand(rows, cols) > 0.1
    masked = lambda t, k: torch.softmax(torch.where(k, t, float("-inf")), -1)  # noqa: E731
    out.append((f"masked softmax [{rows},{cols}] f32", masked, (m, mask), 2 * nb + rows * cols))
    out.append((f"sum(dim=0) [{rows},{cols}] f32", lambda t: t.sum(0), (m,), nb))
    out.append((f"var_mean(dim=0) [{rows},{cols}] f32", lambda t: torch.var_mean(t, 0), (m,), nb))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    p.add_argument("--only", default="", help="run only the cases whose name contains this text")
    a = p.parse_args()
    global ONLY
    ONLY = a.only
    reps = 5 if a.quick else 15
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores")
    results = []
    for name, fn, args, nbytes in cases(a.quick):
        run(name, fn, args, nbytes, reps, results)
    print()
    print(
        "| case | eager ms | keraunos ms | inductor ms | vs eager | vs inductor | GB/s | of copy bw | keraunos, pool off ms "
        "| keraunos in cache ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, te, tk, ti, g, bw, tn, tc in results:
        print(
            f"| {name} | {te:.2f} | {tk:.2f} | {ti:.2f} | {te / tk:.2f}x | {ti / tk:.2f}x | {g:.1f} | {100 * g / bw:.0f}% | {tn:.2f} "
            f"| {f'{tc:.2f}' if tc else '-'} |"
        )


if __name__ == "__main__":
    main()
