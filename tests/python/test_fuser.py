"""The CPU fuser end to end: shape-generic kernels, the kernel cache, the failure path, claims."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

import keraunos
from keraunos import _C

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _chain(x, b):
    return torch.nn.functional.gelu(x * 1.5 + b, approximate="tanh").softmax(-1) + x


def test_changing_the_batch_size_compiles_nothing_new():
    f = keraunos.jit(_chain)
    b = torch.randn(96)
    x = torch.randn(8, 96)
    torch.testing.assert_close(f(x, b), _chain(x, b))
    before = _C.kernel_cache_stats()["compiles"]
    for batch in (16, 3, 40):
        x = torch.randn(batch, 96)
        torch.testing.assert_close(f(x, b), _chain(x, b))
    assert keraunos.cache_info(f)["misses"] == 4  # a plan per static signature ...
    assert _C.kernel_cache_stats()["compiles"] == before  # ... but the same kernels: sizes are arguments
    assert "fuser.region" in str(keraunos.last_traces(f))


def test_large_outputs_come_back_from_the_host_pool():
    f = keraunos.jit(lambda x: torch.softmax(x * 2, -1))
    x = torch.randn(512, 1024)  # a 2 MiB output: the pool's side of the threshold
    keraunos.set_host_pool_limit(64)
    keraunos.empty_cache()
    want = torch.softmax(x * 2, -1)
    first = f(x)
    ptr = first.data_ptr()
    torch.testing.assert_close(first, want)
    del first  # its buffer goes back to the pool ...
    assert keraunos.host_pool_info()["cached_bytes"] == 2 << 20
    hits = keraunos.host_pool_info()["hits"]
    second = f(x)  # ... and the next call gets it
    assert second.data_ptr() == ptr
    assert keraunos.host_pool_info()["hits"] == hits + 1
    torch.testing.assert_close(second, want)
    second.add_(1)  # an ordinary, writable CPU tensor
    keraunos.set_host_pool_limit(0)
    del second
    assert keraunos.host_pool_info()["cached_bytes"] == 0
    keraunos.set_host_pool_limit(2048)
    with pytest.raises(ValueError, match="set_host_pool_limit"):
        keraunos.set_host_pool_limit(-1)


def test_non_contiguous_inputs_get_their_own_variant():
    f = keraunos.jit(lambda x: (x * 2).exp())
    x = torch.randn(32, 48)
    torch.testing.assert_close(f(x), (x * 2).exp())
    xt = torch.randn(48, 32).t()
    torch.testing.assert_close(f(xt), (xt * 2).exp())


def test_bf16_is_computed_in_float32_and_rounded_once():
    x = torch.randn(64, 256, dtype=torch.bfloat16)
    f = keraunos.jit(lambda a: torch.nn.functional.layer_norm(a * 3 + 1, (256,)))
    want = torch.nn.functional.layer_norm(x.float() * 3 + 1, (256,)).bfloat16()
    torch.testing.assert_close(f(x), want, rtol=1e-2, atol=1e-2)


def _run_isolated(code, env_extra):
    env = dict(os.environ, PYTHONPATH=os.environ.get("KERAUNOS_PYTHONPATH", os.path.join(ROOT, "python")), **env_extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=300)


def test_a_kernel_that_fails_to_compile_falls_back_with_a_reproducer(tmp_path):
    r = _run_isolated("""
        import torch, keraunos
        f = keraunos.jit(lambda x: torch.tanh(x) * 3 - 1)
        x = torch.randn(10, 20)
        assert torch.allclose(f(x), torch.tanh(x) * 3 - 1, atol=1e-6)
        print("RESULT OK")
    """, {"KERAUNOS_FUSER_INJECT_COMPILE_ERROR": "1", "KERAUNOS_CACHE_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "RESULT OK" in r.stdout
    assert "failed to compile" in r.stderr and "Reproducer" in r.stderr, r.stderr
    repro = r.stderr.split("output): ")[1].split()[0]
    for name in ("region.txt", "kernel.cpp", "compile.txt", "trace.txt"):
        assert os.path.exists(os.path.join(repro, name)), name
    assert "injected" in open(os.path.join(repro, "compile.txt")).read()
    assert "prims.tanh" in open(os.path.join(repro, "region.txt")).read()


def test_disk_cache_is_reused_and_corrupt_entries_are_rebuilt(tmp_path):
    code = """
        import torch, keraunos
        from keraunos import _C
        f = keraunos.jit(lambda x: torch.sigmoid(x) * x)
        x = torch.randn(7, 9)
        assert torch.allclose(f(x), torch.sigmoid(x) * x, atol=1e-6)
        s = _C.kernel_cache_stats()
        print("STATS", s["compiles"], s["disk_hits"], s["rebuilt_corrupt"])
    """
    env = {"KERAUNOS_CACHE_DIR": str(tmp_path)}
    first = _run_isolated(code, env)
    assert first.returncode == 0, first.stderr
    assert "STATS 1 0 0" in first.stdout, first.stdout
    second = _run_isolated(code, env)
    assert "STATS 0 1 0" in second.stdout, second.stdout  # loaded from disk, nothing compiled
    sos = [p for p in os.listdir(tmp_path) if p.endswith(".so")]
    assert len(sos) == 1
    with open(tmp_path / sos[0], "r+b") as fh:  # truncate: a crash mid-write, a full disk
        fh.truncate(100)
    third = _run_isolated(code, env)
    assert third.returncode == 0, third.stderr
    assert "STATS 1 0 1" in third.stdout, third.stdout  # detected and rebuilt
    meta = open(tmp_path / sos[0].replace(".so", ".meta")).read()
    assert "compiler version:" in meta and "flags: -O3" in meta and "source hash:" in meta


def test_fuser_declines_with_reasons():
    f = keraunos.jit(lambda x: torch.erfinv(x.clamp(-0.5, 0.5)) * 2)
    x = torch.randn(4, 5)
    torch.testing.assert_close(f(x), torch.erfinv(x.clamp(-0.5, 0.5)) * 2)
    table = str(keraunos.placement(f))
    assert "fuser: no fused code for prims.erfinv" in table, table
