"""Conformance entries for torch-level reductions, scans and sorting: sum, mean, prod, var/std
(+ _mean), amax/amin, max/min, argmax/argmin, logsumexp, cumsum/cumprod, all/any, count_nonzero,
norm/vector_norm, topk, sort, argsort."""

import math

import torch

from .core import OpInfo, Sample, make_tensor

# Shapes every reduction sees with its defaults: 0-d, size-1, 0-size and larger dims.
FULL_SHAPES = [(), (5,), (3, 4), (2, 1, 3), (0, 3), (1,)]


def _full(dtype, low=None, high=None):
    for s in FULL_SHAPES:
        yield Sample((make_tensor(s, dtype, low=low, high=high),))
    yield Sample((make_tensor((4, 3), dtype, low=low, high=high, noncontiguous=True),), note="noncontiguous")


def _dim_samples(dtype, *, tuples=True, keepdim=True, empty_dim=True, low=None, high=None, kw_name="dim"):
    """Reductions over explicit dims: int (positional and keyword), negative, tuples, keepdim,
    0-d inputs, 0-size dims and non-contiguous inputs."""
    mk = lambda s, **k: make_tensor(s, dtype, low=low, high=high, **k)  # noqa: E731
    yield Sample((mk((3, 4)), 1))
    yield Sample((mk((3, 4)),), {kw_name: 0})
    yield Sample((mk((2, 1, 3)), -1))
    yield Sample((mk(()), 0), note="0-d")
    yield Sample((mk((0, 3)), 1), note="reduce a non-empty dim of an empty tensor")
    if empty_dim:
        yield Sample((mk((0, 3)), 0), note="reduce an empty dim")
    yield Sample((mk((4, 3), noncontiguous=True), 1), note="noncontiguous")
    if keepdim:
        yield Sample((mk((3, 4)), -1, True), note="keepdim")
        yield Sample((mk((2, 1, 3)),), {kw_name: 1, "keepdim": True}, note="keepdim")
        yield Sample((mk(()), -1, True), note="0-d keepdim")
    if tuples:
        yield Sample((mk((2, 3, 4)), (0, 2)), note="tuple")
        yield Sample((mk((2, 3, 4)), (-1, 0)), note="tuple, negative")
        if keepdim:
            yield Sample((mk((2, 3, 4)), (1, 2), True), note="tuple keepdim")
        yield Sample((mk((3, 4)), ()), note="empty tuple")
        yield Sample((mk((3, 4)), None), note="None")
        yield Sample((mk((3, 5)), (1,)), note="1-tuple")


def _with_dtype_kw(dtype, gen, dtypes=(torch.float64, torch.int32, torch.float16, torch.bool)):
    yield from gen(dtype)
    for dt in dtypes:
        yield Sample((make_tensor((3, 4), dtype),), {"dtype": dt}, note="dtype kw")
        yield Sample((make_tensor((2, 3), dtype), 1), {"dtype": dt}, note="dtype kw with dim")


def _sum_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype)
    yield from _with_dtype_kw(dtype, lambda dt: iter(()))


def _mean_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype)
    yield from _with_dtype_kw(dtype, lambda dt: iter(()), dtypes=(torch.float64, torch.float32, torch.bfloat16, torch.int64))


def _prod_samples(dtype):
    # Small magnitudes keep products within the tolerance of low-precision dtypes.
    yield from _full(dtype, low=-2, high=2)
    yield from _dim_samples(dtype, tuples=False, low=-2, high=2)
    for dt in (torch.float64, torch.int32, torch.bool):
        yield Sample((make_tensor((3, 4), dtype, low=-2, high=2),), {"dtype": dt}, note="dtype kw")
        yield Sample((make_tensor((2, 3), dtype, low=-2, high=2), 1, True), {"dtype": dt}, note="dtype kw with dim")


def _var_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype)
    t = make_tensor((3, 4), dtype)
    yield Sample((t,), {"unbiased": False}, note="unbiased kw")
    yield Sample((t, True), note="(input, unbiased)")
    yield Sample((t, 0, False), note="(input, dim, unbiased)")
    yield Sample((t, 1, True, True), note="(input, dim, unbiased, keepdim)")
    yield Sample((t,), {"dim": 1, "correction": 0}, note="correction=0")
    yield Sample((t,), {"dim": (0, 1), "correction": 2, "keepdim": True}, note="correction=2")
    yield Sample((t,), {"correction": 0.5}, note="float correction")
    yield Sample((make_tensor((2, 5, 3), dtype),), {"dim": -2, "unbiased": False, "keepdim": True}, note="keyword unbiased")


def _amax_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype)


def _max_samples(dtype):
    # max(a), max(a, dim), max(a, dim, keepdim), and the two-tensor form (torch.maximum).
    yield from _full(dtype)
    yield from _dim_samples(dtype, tuples=False)
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype)), note="two tensors (maximum/minimum)")
    # Ties (small integer ranges) must pick torch's index.
    yield Sample((make_tensor((5, 6), dtype, low=0, high=2), 0), note="ties")


def _argmax_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype, tuples=False)
    yield Sample((make_tensor((3, 4), dtype), None, True), note="dim=None keepdim")
    yield Sample((make_tensor((5, 6), dtype, low=0, high=2), 1), note="ties")
    yield Sample((make_tensor((5, 6), dtype, low=0, high=2),), note="ties, flattened")


def _logsumexp_samples(dtype):
    yield from _dim_samples(dtype)
    yield Sample((make_tensor((3, 4), dtype, low=50, high=80), 1), note="large values (max subtraction)")
    if dtype.is_floating_point:
        x = make_tensor((3, 4), dtype)
        x[0, :] = -math.inf
        x[1, 1] = math.inf
        yield Sample((x, 1), note="infinities")


def _cum_samples(dtype, low=None, high=None):
    mk = lambda s, **k: make_tensor(s, dtype, low=low, high=high, **k)  # noqa: E731
    yield Sample((mk((5,)), 0))
    yield Sample((mk((3, 4)), 1))
    yield Sample((mk((3, 4)),), {"dim": -2})
    yield Sample((mk((2, 1, 3)), 1))
    yield Sample((mk(()), 0), note="0-d")
    yield Sample((mk(()), -1), note="0-d")
    yield Sample((mk((0, 3)), 1), note="empty")
    yield Sample((mk((0, 3)), 0), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), 1), note="noncontiguous")
    for dt in (torch.float64, torch.int32, torch.float16, torch.bool):
        yield Sample((mk((3, 4)), 1), {"dtype": dt}, note="dtype kw")


def _logical_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype)
    yield Sample((torch.zeros(3, 4, dtype=dtype), 1), note="all zero")
    yield Sample((torch.ones(3, 4, dtype=dtype),), note="all nonzero")


def _count_nonzero_samples(dtype):
    yield from _full(dtype)
    yield from _dim_samples(dtype, keepdim=False)
    x = make_tensor((4, 5), dtype)
    x[1] = 0
    yield Sample((x, 1), note="zeros")


def _vector_norm_samples(dtype):
    yield from _full(dtype)
    for ord_ in (2, 1, math.inf, -math.inf, 0, 3, 0.5, -1.5, True):
        yield Sample((make_tensor((3, 4), dtype), ord_), note=f"ord={ord_}")
        yield Sample((make_tensor((2, 3, 4), dtype), ord_, (0, 2), True), note=f"ord={ord_} dims keepdim")
        yield Sample((make_tensor((0, 3), dtype), ord_, 1), note=f"ord={ord_} empty tensor")
        yield Sample((make_tensor((0, 3), dtype), ord_, 0), note=f"ord={ord_} empty dim")
        yield Sample((make_tensor((), dtype), ord_), note=f"ord={ord_} 0-d")
    yield Sample((make_tensor((3, 4), dtype),), {"dim": -1}, note="dim kw")
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), 2, 1), note="noncontiguous")
    yield Sample((make_tensor((3, 4), dtype), 2, ()), note="empty tuple")
    for dt in (torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128, torch.int64):
        yield Sample((make_tensor((3, 4), dtype),), {"dtype": dt}, note="dtype kw")


def _norm_samples(dtype):
    yield from _full(dtype)
    t = make_tensor((3, 4), dtype)
    for p in ("fro", 2, 1, math.inf, 0, 3, None):
        yield Sample((t, p), note=f"p={p}")
        yield Sample((make_tensor((2, 3, 4), dtype), p, (1, 2), True), note=f"p={p} dims keepdim")
        yield Sample((make_tensor((2, 3, 4), dtype), p, 0), note=f"p={p} int dim")
    yield Sample((make_tensor((2, 3, 4), dtype), 2, (0, 1, 2)), note="three dims")
    yield Sample((t,), {"dim": 1, "keepdim": True}, note="keywords")
    yield Sample((t, "fro", -1), {"dtype": torch.float64}, note="dtype kw")


def _topk_samples(dtype):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    yield Sample((mk((7,)), 3))
    yield Sample((mk((3, 5)), 2))
    yield Sample((mk((3, 5)), 2, 0))
    yield Sample((mk((3, 5)), 1), {"dim": -2, "largest": False})
    yield Sample((mk((3, 5)), 4, 1, True, False), note="unsorted")
    yield Sample((mk((3, 5)), 5, 1), note="k = size")
    yield Sample((mk((3, 5)), 0, 1), note="k = 0")
    yield Sample((mk(()), 1), note="0-d")
    yield Sample((mk((0, 3)), 2, 1), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), 2), note="noncontiguous")
    yield Sample((mk((3, 5)), 6, 1), note="k too large")


def _sort_samples(dtype):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    yield Sample((mk((7,)),))
    yield Sample((mk((3, 5)), 0))
    yield Sample((mk((3, 5)),), {"dim": -1, "descending": True})
    yield Sample((mk((3, 5)), 1, True))
    yield Sample((mk((4, 6), low=0, high=3),), {"stable": True}, note="ties, stable")
    yield Sample((mk((4, 6), low=0, high=3),), {"stable": True, "descending": True}, note="ties, stable, descending")
    yield Sample((mk(()),), note="0-d")
    yield Sample((mk((0, 3)), 0), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True),), note="noncontiguous")


OPS = [
    OpInfo("torch.sum", torch.sum, _sum_samples, dtypes=None),
    OpInfo("torch.mean", torch.mean, _mean_samples, dtypes=None),
    OpInfo("torch.prod", torch.prod, _prod_samples, dtypes=None),
    OpInfo("torch.var", torch.var, _var_samples, dtypes=None),
    OpInfo("torch.std", torch.std, _var_samples, dtypes=None),
    OpInfo("torch.var_mean", torch.var_mean, _var_samples, dtypes=None),
    OpInfo("torch.std_mean", torch.std_mean, _var_samples, dtypes=None),
    OpInfo("torch.amax", torch.amax, _amax_samples, dtypes=None),
    OpInfo("torch.amin", torch.amin, _amax_samples, dtypes=None),
    OpInfo("torch.max", torch.max, _max_samples, dtypes=None),
    OpInfo("torch.min", torch.min, _max_samples, dtypes=None),
    OpInfo("torch.argmax", torch.argmax, _argmax_samples, dtypes=None),
    OpInfo("torch.argmin", torch.argmin, _argmax_samples, dtypes=None),
    OpInfo("torch.logsumexp", torch.logsumexp, _logsumexp_samples, dtypes=None),
    OpInfo("torch.cumsum", torch.cumsum, _cum_samples, dtypes=None),
    OpInfo("torch.cumprod", torch.cumprod, lambda dt: _cum_samples(dt, low=-2, high=2), dtypes=None),
    OpInfo("torch.all", torch.all, _logical_samples, dtypes=None),
    OpInfo("torch.any", torch.any, _logical_samples, dtypes=None),
    OpInfo("torch.count_nonzero", torch.count_nonzero, _count_nonzero_samples, dtypes=None),
    OpInfo("torch.linalg.vector_norm", torch.linalg.vector_norm, _vector_norm_samples, dtypes=None),
    OpInfo("torch.norm", torch.norm, _norm_samples, dtypes=None),
    OpInfo("torch.topk", torch.topk, _topk_samples, dtypes=None),
    OpInfo("torch.sort", torch.sort, _sort_samples, dtypes=None),
    OpInfo("torch.argsort", torch.argsort, _sort_samples, dtypes=None),
]
