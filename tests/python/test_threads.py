"""A compiled function is reentrant and safe to call from several threads: per-call state travels as
arguments (the trace callback gets the call's arguments; the C++ call path keeps nothing per call in
the object), and importing keraunos changes nothing in torch."""

import os
import subprocess
import sys
import threading

import torch
import torch.nn as nn
from eager_compare import assert_same

import keraunos

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THREADS = 8


def _fn(x, w):
    return torch.softmax(x @ w, -1) * 2 + x.sum(-1, keepdim=True)


def _run_threads(work):
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(f"thread {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, "\n".join(errors)


def test_a_function_called_from_eight_threads_with_new_and_cached_signatures():
    jf = keraunos.jit(_fn)
    # Each thread walks the same signatures in a different order: some calls trace, most hit.
    shapes = [(3, 8), (5, 8), (2, 8), (7, 8), (4, 8)]
    dtypes = [torch.float32, torch.float64]

    def work(i):
        g = torch.Generator().manual_seed(i)
        for k in range(12):
            rows, cols = shapes[(i + k) % len(shapes)]
            dtype = dtypes[(i * 7 + k) % 2]
            x = torch.randn(rows, cols, generator=g, dtype=dtype)
            w = torch.randn(cols, 6, generator=g, dtype=dtype)
            with torch.no_grad():
                assert_same(jf(x, w), _fn(x, w))

    _run_threads(work)
    info = keraunos.cache_info(jf)
    assert info["plans"] >= len(shapes) * len(dtypes) and info["hits"] > 0, info


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)

    def forward(self, x, scale=1.0):
        return {"y": self.norm(self.lin(x)) * scale, "pair": (x.mean(), x.amax())}


def test_a_module_called_from_eight_threads_with_structured_outputs_and_keywords():
    m = _Block().eval()
    jm = keraunos.jit(m)

    def work(i):
        for k in range(8):
            x = torch.randn(2 + (i + k) % 3, 8)
            scale = 0.5 if k % 2 else 1.0
            with torch.no_grad():
                assert_same(jm(x, scale=scale), m(x, scale=scale))

    _run_threads(work)


def test_importing_keraunos_patches_nothing_in_torch():
    code = (
        "import torch, torch.nn as nn\n"
        "before = {k: v for k, v in vars(nn.Module).items()}\n"
        "tensor_before = {k: v for k, v in vars(torch.Tensor).items()}\n"
        "import keraunos\n"
        "keraunos.jit(nn.Linear(2, 2))(torch.randn(1, 2))\n"
        "changed = [k for k, v in vars(nn.Module).items() if before.get(k) is not v]\n"
        "changed += [k for k, v in vars(torch.Tensor).items() if tensor_before.get(k) is not v]\n"
        "print(changed)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]", out
