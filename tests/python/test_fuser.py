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
    r = _run_isolated(
        """
        import torch, keraunos
        f = keraunos.jit(lambda x: torch.tanh(x) * 3 - 1)
        x = torch.randn(10, 20)
        assert torch.allclose(f(x), torch.tanh(x) * 3 - 1, atol=1e-6)
        print("RESULT OK")
    """,
        {"KERAUNOS_FUSER_INJECT_COMPILE_ERROR": "1", "KERAUNOS_CACHE_DIR": str(tmp_path), "KERAUNOS_STRICT": "0"},
    )
    assert r.returncode == 0, r.stderr
    assert "RESULT OK" in r.stdout
    assert "failed to compile" in r.stderr and "Reproducer" in r.stderr, r.stderr
    repro = r.stderr.split("output): ")[1].split()[0]
    for name in ("region.txt", "kernel.cpp", "compile.txt", "trace.txt"):
        assert os.path.exists(os.path.join(repro, name)), name
    assert "injected" in open(os.path.join(repro, "compile.txt")).read()
    assert "prims.tanh" in open(os.path.join(repro, "region.txt")).read()


def test_strict_mode_makes_a_failed_compile_an_error(tmp_path):
    # The test suite runs with KERAUNOS_STRICT=1 (conftest.py): a kernel lost to a compile failure
    # fails the test instead of passing on ATen's results.
    r = _run_isolated(
        """
        import torch, keraunos
        f = keraunos.jit(lambda x: torch.tanh(x) * 3 - 1)
        try:
            f(torch.randn(10, 20))
        except Exception as e:
            print("RAISED", type(e).__name__, "KERAUNOS_STRICT" in str(e))
    """,
        {"KERAUNOS_FUSER_INJECT_COMPILE_ERROR": "1", "KERAUNOS_CACHE_DIR": str(tmp_path), "KERAUNOS_STRICT": "1"},
    )
    assert "RAISED" in r.stdout and "True" in r.stdout, r.stdout + r.stderr


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
    assert "no fused code for prims.erfinv" in table, table
    # Not fusible whole: one ATen call of torch.erfinv, not its decomposition.
    assert ("torch.erfinv", "aten") in [(r[0], r[1]) for r in keraunos.placement(f).rows], table


def _rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


_DATA_MOVEMENT_CASES = [
    ("cat", lambda a, b: torch.cat([a, b * 2], dim=1).sigmoid(), [(4, 5), (4, 3)]),
    ("cat0", lambda a, b: torch.cat([a + 1, b, a], dim=0) * 3, [(2, 7), (5, 7)]),
    ("rope", lambda x, c, s: x * c + _rotate_half(x) * s, [(2, 3, 8, 16), (8, 16), (8, 16)]),
    ("pad", lambda x: torch.nn.functional.pad(x, (1, 2)) * 2, [(3, 5)]),
    ("pad_crop", lambda x: torch.nn.functional.pad(x + 1, (-1, 2, 3, 0), value=0.5) * 2, [(3, 5)]),
    ("gather", lambda x, i: torch.take_along_dim(x.exp(), i, dim=1) + 1, [(6, 9), "index"]),
]


@pytest.mark.parametrize("name,fn,shapes", _DATA_MOVEMENT_CASES, ids=[c[0] for c in _DATA_MOVEMENT_CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_cat_pad_and_gather_fuse_with_their_consumers(name, fn, shapes, dtype, layout):
    def make(s):
        if s == "index":
            return torch.randint(0, 9, (6, 4))
        if layout == "transposed" and len(s) > 1:
            return torch.randn(s[-1], *s[1:-1], s[0], dtype=dtype).transpose(0, -1)
        return torch.randn(*s, dtype=dtype)

    args = [make(s) for s in shapes]
    f = keraunos.jit(fn)
    tol = dict(rtol=1.6e-2, atol=1e-2) if dtype == torch.bfloat16 else {}
    torch.testing.assert_close(f(*args), fn(*args), **tol)
    final = keraunos.last_traces(f)[-1][1]
    body = [line for line in final.splitlines() if not line.lstrip().startswith("#")]
    assert any("fuser.region" in line for line in body), final
    assert not any("aten." in line for line in body), final  # the cat / pad / gather is inside the kernel


def test_cross_entropy_forward_runs_as_fused_kernels():
    x = torch.randn(37, 50)
    t = torch.randint(0, 50, (37,))
    t[[3, 11]] = -100
    w = torch.rand(50)
    for kwargs in ({}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": True}, {"ignore_index": 7}):

        def fn(x, t, w, kw=kwargs):
            kw = dict(kw, weight=w) if "weight" in kw else kw
            return torch.nn.functional.cross_entropy(x, t, **kw)

        f = keraunos.jit(fn)
        tk = torch.where(t == -100, kwargs.get("ignore_index", -100), t)
        torch.testing.assert_close(f(x, tk, w), fn(x, tk, w))
        assert keraunos.placement(f).counts() == {"fuser": 1}, keraunos.placement(f)
    # mean: the per-row pass (log-softmax and the picked class) and the mean over rows are two kernels.
    f = keraunos.jit(lambda x, t: torch.nn.functional.cross_entropy(x, t))
    f(x, t)
    body = [line for line in keraunos.last_traces(f)[-1][1].splitlines() if not line.lstrip().startswith("#")]
    assert sum("fuser.region" in line for line in body) == 2, body
    bad = t.clone()
    bad[5] = 50
    with pytest.raises(RuntimeError, match=r"index is out of range in a fused gather \(prims.take_along_axis along dim 1 of size 50\)"):
        f(x, bad)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.sum(0),
        lambda x: torch.var_mean(x, 0),
        lambda x: x.std((0, 1)),
        lambda x: x.amax(0, keepdim=True),
        lambda x: torch.logsumexp(x, 0),
        lambda x: x.sum(),
    ],
    ids=["sum0", "var_mean0", "std01", "amax0_keepdim", "logsumexp0", "sum_all"],
)
def test_outer_and_whole_tensor_reductions(fn):
    x = torch.randn(4099, 3, 65) + 100  # a large mean: the variance must not cancel away
    x[7, 1, 3] = float("nan")
    f = keraunos.jit(fn)
    torch.testing.assert_close(f(x), fn(x), equal_nan=True, rtol=1e-4, atol=1e-3)
    assert keraunos.placement(f).counts() == {"fuser": 1}


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: torch.softmax(x, -1),
        lambda x: x.amax(-1),
        lambda x: torch.var_mean(x, -1),
        lambda x: torch.log_softmax(x, -1),
        lambda x: x.sum(),
    ],
    ids=["softmax", "amax", "var_mean", "log_softmax", "sum_all"],
)
def test_few_long_rows_are_split_across_threads(fn):
    # Fewer rows than threads and rows over 64Ki elements: each row's blocks are shared out.
    x = torch.randn(1, 1 << 17).expand(2, -1).contiguous() * 3
    x[1, 77] = float("nan")
    f = keraunos.jit(fn)
    torch.testing.assert_close(f(x), fn(x), equal_nan=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "fn",
    [lambda x: x.sum(0), lambda x: x.mean(0), lambda x: torch.var_mean(x, 0), lambda x: (x * 2).amax(0) + x.sum(0)],
    ids=["sum0", "mean0", "var_mean0", "amax0_plus_sum0"],
)
def test_reductions_to_a_single_column(fn):
    # The kept dim has size 1 (a Linear(out_features=1) bias gradient): the combined values are read
    # after the combine, not hoisted above it.
    # Against float64: a sum of 1e5 floats may round by up to n * eps * mean|x| (about 5e-3), and a
    # column summing to near 0 leaves no relative tolerance; a value read before the combine is off
    # by O(1).
    x = torch.randn(100000, 1)
    want = [t.float() for t in torch.utils._pytree.tree_leaves(fn(x.double()))]
    got = torch.utils._pytree.tree_leaves(keraunos.jit(fn)(x))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-3)


def test_a_value_reused_at_another_index_is_not_read_from_an_unwritten_row_buffer():
    def fn(x):
        e = x.exp()
        return e / e.flip(-1).sum(-1, keepdim=True)

    x = torch.randn(8, 300)
    torch.testing.assert_close(keraunos.jit(fn)(x), fn(x))


@pytest.mark.parametrize("dim", [0, 1])
def test_variance_with_a_correction_above_the_count(dim):
    x = torch.randn(1, 8) if dim == 0 else torch.randn(8, 1)
    fn = lambda x: x.var(dim, correction=2)  # noqa: E731  torch divides by max(0, N - correction)
    torch.testing.assert_close(keraunos.jit(fn)(x), fn(x), equal_nan=True)


def test_gathering_from_an_empty_dim_raises():
    fn = lambda x, i: torch.take_along_dim(x * 2, i, dim=1) + 1  # noqa: E731
    x = torch.randn(3, 0)
    i = torch.zeros(3, 2, dtype=torch.long)
    with pytest.raises(RuntimeError):
        fn(x, i)
    with pytest.raises(RuntimeError, match="out of range"):
        keraunos.jit(fn)(x, i)


# Tolerances for the vector-lane tests, per storage dtype (computed in float32, rounded once).
_LANE_TOL = {
    torch.float32: dict(rtol=1e-5, atol=1e-5),
    torch.bfloat16: dict(rtol=1.6e-2, atol=2e-2),
    torch.float16: dict(rtol=1e-3, atol=2e-3),
}

_ROW_FNS = {
    "softmax": lambda x, w, b: torch.softmax(x, -1),
    "log_softmax": lambda x, w, b: torch.log_softmax(x, -1),
    "layer_norm": lambda x, w, b: torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b),
    "rms_norm": lambda x, w, b: torch.nn.functional.rms_norm(x, (x.shape[-1],), w, 1e-6),
    "var_mean": lambda x, w, b: torch.var_mean(x, -1),
}


@pytest.mark.parametrize("name", list(_ROW_FNS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_row_kernels_on_vector_lanes_and_tails(name, dtype):
    # Rows of 16-lane vectors plus a tail (101 = 6 * 16 + 5), one row with a NaN: the explicit-vector
    # row loops in every floating storage type against eager.
    fn = _ROW_FNS[name]
    x = (torch.randn(19, 101) * 4).to(dtype)
    x[3, 50] = float("nan")
    w = torch.randn(101).to(dtype)
    b = torch.randn(101).to(dtype)
    tol = _LANE_TOL[dtype]
    f = keraunos.jit(fn)
    torch.testing.assert_close(f(x, w, b), fn(x, w, b), equal_nan=True, **tol)
    assert keraunos.placement(f).counts() == {"fuser": 1}, keraunos.placement(f)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cross_entropy", "softmax_and_max"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_row_max_without_a_nan_flag_still_gives_nan(name, dtype):
    # The row max of softmax-like kernels keeps no NaN flag (the row sum carries a NaN to every
    # output); rows of NaN, NaN among infinities, and -inf entries must still match eager.
    fns = {
        "softmax": lambda x, y: torch.softmax(x, -1),
        "log_softmax": lambda x, y: torch.log_softmax(x, -1),
        "cross_entropy": lambda x, y: torch.nn.functional.cross_entropy(x, y, reduction="none"),
        "softmax_and_max": lambda x, y: (torch.softmax(x, -1), x.amax(-1)),
    }
    fn = fns[name]
    x = (torch.randn(9, 131) * 3).to(dtype)
    x[0] = float("nan")
    x[1, 5], x[1, 6] = float("nan"), float("inf")
    x[2, 100] = float("nan")
    x[3, :64] = float("-inf")
    x[4, 130] = float("nan")  # in the scalar tail
    y = torch.randint(0, 131, (9,))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=1.6e-2, atol=2e-2)
    f = keraunos.jit(fn)
    torch.testing.assert_close(f(x, y), fn(x, y), equal_nan=True, **tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("shift", [0.0, 1e4])
def test_blocked_welford_over_many_rows_keeps_its_precision(dtype, shift):
    # var_mean over dim 0 runs Welford in blocks of 256 rows in float, shifted by the running mean,
    # merged in double: 3000 rows give each thread several blocks and a short last one; a large mean
    # must not cost the variance its precision. Checked against float64 on the same (rounded) data.
    torch.manual_seed(3)
    x = (torch.randn(3000, 77, dtype=torch.float64) + shift).to(dtype)
    fn = lambda t: (torch.var_mean(t, 0), t.sum(0))  # noqa: E731  a plain sum shares the stage
    (v, m), s = keraunos.jit(fn)(x)
    v64, m64 = torch.var_mean(x.double(), 0)
    tol = 1e-5 if dtype != torch.float64 else 1e-10
    torch.testing.assert_close(v.double(), v64, rtol=tol if dtype != torch.bfloat16 else 1e-2, atol=0)
    torch.testing.assert_close(m.double(), m64, rtol=tol if dtype != torch.bfloat16 else 1e-2, atol=1e-6)
    torch.testing.assert_close(s, x.sum(0), rtol=1e-4 if dtype != torch.bfloat16 else 2e-2, atol=1e-2 * (1 + shift))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("cols", [160, 100], ids=["aligned_rows", "unaligned_rows"])
def test_non_temporal_stores_give_the_same_results(monkeypatch, dtype, cols):
    # Row kernels' outputs past $KERAUNOS_NT_MIN_BYTES (default: half the last-level cache) are
    # streamed past the caches; forced here for small tensors. Rows of 160 (10 vectors) take that
    # path, rows of 100 cannot (unaligned vector stores) and keep cached stores; pointwise kernels
    # always keep them.
    monkeypatch.setenv("KERAUNOS_NT_MIN_BYTES", "0")
    F = torch.nn.functional
    x = torch.randn(37, cols).to(dtype)
    w = torch.randn(cols).to(dtype)
    b = torch.randn(cols).to(dtype)
    tol = {} if dtype == torch.float32 else dict(rtol=2e-2, atol=2e-2)
    fns = [
        lambda x, w, b: torch.softmax(x, -1),
        lambda x, w, b: F.layer_norm(x, (cols,), w, b),
        lambda x, w, b: F.rms_norm(x, (cols,), w, 1e-6),
        lambda x, w, b: (x * 2 + b).clamp(-1, 1),
        lambda x, w, b: torch.tanh(x) * w,
    ]
    for fn in fns:
        f = keraunos.jit(fn)
        torch.testing.assert_close(f(x, w, b), fn(x, w, b), **tol)
        assert keraunos.placement(f).counts() == {"fuser": sum(keraunos.placement(f).counts().values())}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_blocked_leading_dim_sum_keeps_its_precision(dtype):
    # sum over dim 0 adds blocks of 256 rows in float, the blocks' sums in double: 100003 rows of
    # mean 1000 (a float running sum over all of them would drift by ~1e-4).
    torch.manual_seed(4)
    x = (torch.randn(100003, 33, dtype=torch.float64) + 1000).to(dtype)
    got = keraunos.jit(lambda t: t.sum(0) * 1)(x)
    want = x.double().sum(0)
    torch.testing.assert_close(got.double(), want, rtol=2e-6 if dtype == torch.float32 else 8e-3, atol=0)


_MASK_FNS = {
    "masked_softmax": lambda x, m, r: torch.softmax(torch.where(m, x, float("-inf")), -1),
    "row_mask_softmax": lambda x, m, r: torch.softmax(torch.where(r, x, x * 0.5), -1),  # a [R, 1] mask
    "where_compare": lambda x, m, r: torch.where(x > 0.25, x * 2, x - 1) + 1,
    "logic": lambda x, m, r: torch.where((x < 1) & ~m | (x > 2), x, -x),
    "mask_to_float": lambda x, m, r: x * m.to(x.dtype) + (x >= 0).to(x.dtype),
    "relu_layer_norm": lambda x, m, r: torch.nn.functional.layer_norm(torch.where(x > 0, x, 0.0), (x.shape[-1],)),
}


@pytest.mark.parametrize("name", list(_MASK_FNS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_masks_and_where_on_vector_lanes(name, dtype):
    # bool tensors, comparisons, logical ops and where in generic bodies (row and pointwise loops):
    # lanes and tails (101 = 6 * 16 + 5), a NaN, a fully masked row, a mask broadcast along the row.
    fn = _MASK_FNS[name]
    x = (torch.randn(19, 101) * 3).to(dtype)
    x[2, 7] = float("nan")
    m = torch.rand(19, 101) > 0.3
    m[5] = False
    m[6] = True
    r = torch.rand(19, 1) > 0.5
    tol = _LANE_TOL[dtype]
    f = keraunos.jit(fn)
    torch.testing.assert_close(f(x, m, r), fn(x, m, r), equal_nan=True, **tol)
    assert set(keraunos.placement(f).counts()) == {"fuser"}, keraunos.placement(f)


def test_regions_the_fuser_gives_back_are_dispatched_by_the_pipeline():
    """A region of data movement only goes back to the operator executors: the fuser returns its ops
    undispatched, and the pipeline's `leftovers` pass (after fusion) hands them to ATen."""
    f = keraunos.jit(lambda x: x.transpose(0, 1).reshape(-1).flip(0))
    x = torch.randn(4, 6)
    torch.testing.assert_close(f(x), x.transpose(0, 1).reshape(-1).flip(0))
    traces = keraunos.last_traces(f)
    names = traces.names()
    assert names.index("fusion") < names.index("leftovers") < names.index("cse"), names
    final = str(traces)
    assert "fuser.region" not in final and "aten." in final, final


_OTHER_TARGET_CHECK = textwrap.dedent(
    """
    import torch, keraunos
    x = torch.cat([torch.linspace(-110, 90, 20011), torch.tensor([float("-inf"), float("inf"), float("nan"), -104.5, -87.3, 0.0])])
    got = keraunos.jit(torch.exp)(x)
    torch.testing.assert_close(got, torch.exp(x), rtol=2.5e-7, atol=3e-45, equal_nan=True)  # an ulp; a denormal rounds twice
    t = torch.randn(64, 1000)
    m = torch.rand(64, 1000) > 0.3
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        fn = lambda t, m: torch.softmax(torch.where(m, t, float("-inf")), -1)
        torch.testing.assert_close(keraunos.jit(fn)(t.to(dtype), m), fn(t.to(dtype), m))
        fn = lambda t: torch.nn.functional.layer_norm(t, (1000,)).sum(0)
        torch.testing.assert_close(keraunos.jit(fn)(t.to(dtype)), fn(t.to(dtype)), rtol=1e-2, atol=1e-2)
    print("ok")
    """
)


@pytest.mark.parametrize("arch", ["x86-64-v3", "x86-64-v2"])
def test_kernels_built_for_an_older_cpu(arch, tmp_path):
    # KERAUNOS_CPU_ARCH builds kernels for a named target: the AVX2 and SSE paths of the kernels'
    # support code (exp, masks, bf16/f16 conversion) compile and agree with torch on this machine.
    env = dict(os.environ, KERAUNOS_CPU_ARCH=arch, KERAUNOS_CACHE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", _OTHER_TARGET_CHECK], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "failed to compile" not in r.stderr, r.stdout + r.stderr
    metas = [open(os.path.join(tmp_path, f)).read() for f in os.listdir(tmp_path) if f.endswith(".meta")]
    assert metas and all(f"-march={arch}" in m for m in metas), metas[:1]


def test_a_row_value_broadcast_to_a_full_size_output_fills_every_lane():
    # A full-size output whose value is constant along the row (a row sum broadcast back, as a
    # softmax's saved denominator is) is stored on every lane, not on one per vector.
    fn = lambda x: (x.sum(-1, keepdim=True).expand_as(x) * 2, torch.softmax(x, -1))  # noqa: E731
    x = torch.randn(8, 100)
    torch.testing.assert_close(keraunos.jit(fn)(x), fn(x))


def test_a_region_that_must_be_cut_keeps_its_fused_segments_around_data_movement():
    # Logits that are an output and, reshaped, the input of a cross-entropy (an LM head's pattern):
    # the region cannot be scheduled whole, and a reshape starts no segment of its own. The
    # reshape goes back to ATen alone; the softmax and the loss around it stay fused (they all went
    # to ATen op by op before).
    from opinfo.tracing import to_arg

    x, y = torch.randn(4, 8, 50, dtype=torch.float64), torch.randint(0, 50, (4, 8))
    tb = _C.TraceBuilder()
    px, py = to_arg(tb, x), to_arg(tb, y)
    logits = tb.call("torch.mul", [px, 2.0])[0]
    flat = tb.call("torch.reshape", [logits, (32, 50)])[0]
    loss = tb.call("torch.nn.functional.cross_entropy", [flat, tb.call("torch.reshape", [py, (32,)])[0]])[0]
    tb.set_outputs([logits, loss])
    prog = _C.compile_grad(tb, [True, False])
    top = [line.split("=", 1)[1].split("(")[0].strip() for line in prog.text.splitlines()[1:-1] if not line.strip().startswith("#")]
    assert not [op for op in top if op in ("aten.exp", "aten.amax", "aten.sub", "aten.log")], top
    got = prog.run([x, y, torch.ones(4, 8, 50, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)])
    xx = x.clone().requires_grad_()
    ll = xx * 2
    ref = torch.nn.functional.cross_entropy(ll.reshape(32, 50), y.reshape(32))
    want = torch.autograd.grad([ll, ref], [xx], [torch.ones(4, 8, 50, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)])[0]
    torch.testing.assert_close(got[1], ref.detach())
    torch.testing.assert_close(got[2], want)
