"""Conformance entries for the reduction, scan, sorting, creation, RNG and misc prims covered by the
reduction/creation family: sum, prod, amax, amin, var, var_mean, argmax, argmin, cumsum, cumprod,
topk, sort, full, iota, empty, uniform_philox, rng_seed_offset, item, device_put.

Prims are strict: one dtype in, the same dtype out (no promotion: integer sums stay in their dtype),
explicit dims (an empty tuple reduces nothing). The references below compute that contract with
PyTorch."""

import torch

from .core import ALL_DTYPES, COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, REAL_DTYPES, OpInfo, Sample, make_tensor

B = (torch.bool,)

# The prim reference interpreter (opinfo/interpret.py) runs prims.sum/prod/cumsum/cumprod with
# torch.sum/prod/cumsum/cumprod, which promote bool and narrow integers to int64, while the prims
# keep their input dtype (as their metas say). Those samples cannot agree until the interpreter
# casts back; the metas are checked, the interpreter's values are not.
_NARROW_EXACT = (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32)
_INTERP_PROMOTES = (
    (
        lambda dt, s: dt in _NARROW_EXACT,
        "interpret.py runs this prim with torch's promoting op (bool/narrow ints -> int64); the prim keeps the input dtype",
    ),
)

REDUCE_CASES = [
    ((), ()),
    ((5,), (0,)),
    ((2, 3), (1,)),
    ((2, 3), (0, 1)),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (1,)),
    ((0, 3), (0,)),
    ((0, 3), (1,)),
    ((2, 3), ()),
    ((1, 4), (0,)),
]


def _reduce_samples(dtype, cases=REDUCE_CASES, low=None, high=None):
    for shape, dims in cases:
        yield Sample((make_tensor(shape, dtype, low=low, high=high), dims))
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True, low=low, high=high), (1,)), note="noncontiguous")


# Reductions with no identity (amax, amin) are only defined on non-empty reduced dims.
NONEMPTY_CASES = [c for c in REDUCE_CASES if not (c[0] == (0, 3) and c[1] == (0,))]


def _reduce_ref(fn):
    def ref(a, dims):
        if len(dims) == 0:
            return a.clone()
        return fn(a, dims).to(a.dtype)

    return ref


def _sum(a, dims):
    return torch.sum(a, dim=tuple(dims))


def _prod(a, dims):
    out = a
    for d in sorted(dims, reverse=True):
        out = torch.prod(out, d)
    return out


def _var_ref(with_mean):
    def ref(a, dims, correction=1):
        if len(dims) == 0:  # each element on its own
            v = torch.var(a.unsqueeze(0), dim=0, correction=correction)
            m = a.clone()
        else:
            v = torch.var(a, dim=tuple(dims), correction=correction)
            m = torch.mean(a, dim=tuple(dims))
        return (v, m) if with_mean else v

    return ref


def _var_samples(dtype):
    yield from _reduce_samples(dtype)
    yield Sample((make_tensor((3, 4), dtype), (1,)), {"correction": 0}, note="correction=0")
    yield Sample((make_tensor((3, 4), dtype), (0, 1)), {"correction": 2.5}, note="float correction")


def _arg_samples(dtype):
    for shape, dim in [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1), ((), 0), ((0, 3), 1)]:
        yield Sample((make_tensor(shape, dtype), dim))
    yield Sample((make_tensor((3, 4), dtype),), note="dim=None")
    yield Sample((make_tensor((5, 6), dtype, low=0, high=2), 0), note="ties")
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), 1), note="noncontiguous")


def _scan_samples(dtype, low=None, high=None):
    for shape, dim in [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 1, 3), 1), ((), 0), ((0, 3), 1)]:
        yield Sample((make_tensor(shape, dtype, low=low, high=high), dim))
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True, low=low, high=high), 1), note="noncontiguous")


def _topk_samples(dtype):
    for shape, k, dim in [((7,), 3, 0), ((3, 5), 2, 1), ((3, 5), 3, 0), ((3, 5), 5, -1), ((3, 5), 0, 1), ((), 1, 0), ((0, 3), 2, 1)]:
        for largest in (True, False):
            yield Sample((make_tensor(shape, dtype), k, dim, largest, True))
    yield Sample((make_tensor((3, 5), dtype), 3, 1, True, False), note="unsorted")
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), 2, 1, True, True), note="noncontiguous")


def _sort_samples(dtype):
    for shape, dim in [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((), 0), ((0, 3), 1)]:
        for desc in (False, True):
            yield Sample((make_tensor(shape, dtype), dim, desc, False))
    yield Sample((make_tensor((4, 6), dtype, low=0, high=3), 1, False, True), note="ties, stable")
    yield Sample((make_tensor((4, 6), dtype, low=0, high=3), 1, True, True), note="ties, stable, descending")
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), 1, False, False), note="noncontiguous")


# ---- creation prims ---------------------------------------------------------------------------


def _full_samples(dtype):
    for shape in [(2, 3), (), (0, 4), (5,)]:
        yield Sample((shape, 1), {"dtype": dtype})
    yield Sample(((2, 3), True), {"dtype": dtype}, note="bool fill")
    yield Sample(((2, 3), 2.5), {"dtype": dtype, "device": torch.device("cpu")}, note="float fill")
    yield Sample(((3,), -1), {"dtype": dtype}, note="negative fill")


def _full_ref(shape, fill_value, device="cpu", dtype=torch.float32):
    return torch.full(tuple(shape), fill_value, dtype=dtype, device=device)


def _iota_samples(dtype):
    yield Sample((5,), {"dtype": dtype})
    yield Sample((0,), {"dtype": dtype}, note="empty")
    yield Sample((4,), {"start": 3, "step": 2, "dtype": dtype}, note="start, step")
    yield Sample((4,), {"start": 10, "step": -3, "dtype": dtype}, note="negative step")
    yield Sample((3,), {"start": 1, "dtype": dtype, "device": torch.device("cpu")}, note="device")


def _iota_ref(length, start=0, step=1, device="cpu", dtype=torch.int64):
    return (torch.arange(length, dtype=torch.int64) * step + start).to(dtype=dtype, device=device)


def _empty_samples(dtype):
    for shape in [(2, 3), (), (0, 4)]:
        yield Sample((shape,), {"dtype": dtype})
    yield Sample(((3,),), {"dtype": dtype, "device": torch.device("cpu")}, note="device")


def _empty_ref(shape, device="cpu", dtype=torch.float32):
    return torch.empty(tuple(shape), dtype=dtype, device=device)


def _uniform_samples(dtype):
    for shape in [(2, 3), (), (0, 4), (1000,)]:
        yield Sample((shape, 7, 0), {"dtype": dtype})
    yield Sample(((4,), 1, 16), {"minval": -2.0, "maxval": 3.0, "dtype": dtype}, note="range")


def _uniform_ref(shape, seed, offset, minval=0.0, maxval=1.0, device="cpu", dtype=torch.float32):
    return torch.rand(tuple(shape), dtype=dtype, device=device) * (maxval - minval) + minval


def _rng_samples(dtype):
    yield Sample((10,))
    yield Sample((0,), note="no draws")
    yield Sample((6,), {"device": torch.device("cpu")}, note="device")


def _item_samples(dtype):
    yield Sample((make_tensor((), dtype),))
    yield Sample((make_tensor((1,), dtype),), note="one element")
    yield Sample((make_tensor((1, 1), dtype),), note="one element, rank 2")
    yield Sample((make_tensor((2,), dtype),), note="two elements")
    yield Sample((make_tensor((0,), dtype),), note="no element")


def _device_put_samples(dtype):
    for shape in [(2, 3), (), (0, 4)]:
        yield Sample((make_tensor(shape, dtype), torch.device("cpu")))
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), torch.device("cpu")), note="noncontiguous")


ORDERED = B + REAL_DTYPES  # amax/amin/sort: everything but complex

OPS = [
    OpInfo("prims.sum", _reduce_ref(_sum), _reduce_samples, dtypes=ALL_DTYPES, strict_dtypes=True, skips=_INTERP_PROMOTES),
    OpInfo(
        "prims.prod",
        _reduce_ref(_prod),
        lambda dt: _reduce_samples(dt, low=-2, high=2),
        dtypes=ALL_DTYPES,
        strict_dtypes=True,
        skips=_INTERP_PROMOTES,
    ),
    OpInfo(
        "prims.amax",
        _reduce_ref(lambda a, d: torch.amax(a, dim=tuple(d))),
        lambda dt: _reduce_samples(dt, NONEMPTY_CASES),
        dtypes=ORDERED,
        strict_dtypes=True,
    ),
    OpInfo(
        "prims.amin",
        _reduce_ref(lambda a, d: torch.amin(a, dim=tuple(d))),
        lambda dt: _reduce_samples(dt, NONEMPTY_CASES),
        dtypes=ORDERED,
        strict_dtypes=True,
    ),
    OpInfo("prims.var", _var_ref(False), _var_samples, dtypes=FLOAT_DTYPES + COMPLEX_DTYPES, strict_dtypes=True),
    OpInfo("prims.var_mean", _var_ref(True), _var_samples, dtypes=FLOAT_DTYPES + COMPLEX_DTYPES, strict_dtypes=True),
    OpInfo("prims.argmax", lambda a, dim=None: torch.argmax(a, dim), _arg_samples, dtypes=REAL_DTYPES, strict_dtypes=True),
    OpInfo("prims.argmin", lambda a, dim=None: torch.argmin(a, dim), _arg_samples, dtypes=REAL_DTYPES, strict_dtypes=True),
    OpInfo(
        "prims.cumsum",
        lambda a, dim: torch.cumsum(a, dim).to(a.dtype),
        _scan_samples,
        dtypes=INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES,
        strict_dtypes=True,
        skips=_INTERP_PROMOTES,
    ),
    OpInfo(
        "prims.cumprod",
        lambda a, dim: torch.cumprod(a, dim).to(a.dtype),
        lambda dt: _scan_samples(dt, low=-2, high=2),
        dtypes=INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES,
        strict_dtypes=True,
        skips=_INTERP_PROMOTES,
    ),
    # topk/sort: the metas accept every dtype, torch has no complex (nor, for topk, bool) kernels;
    # not strict until the metas reject them (see the family report).
    OpInfo(
        "prims.topk",
        lambda a, k, dim, largest, sorted: torch.topk(a, k, dim, largest, sorted),
        _topk_samples,
        dtypes=REAL_DTYPES,
        strict_dtypes=False,
    ),
    OpInfo(
        "prims.sort",
        lambda a, dim, descending, stable: torch.sort(a, dim=dim, descending=descending, stable=stable),
        _sort_samples,
        dtypes=ORDERED,
        strict_dtypes=False,
    ),
    OpInfo("prims.full", _full_ref, _full_samples, dtypes=ALL_DTYPES, strict_dtypes=True),
    OpInfo(
        "prims.iota",
        _iota_ref,
        _iota_samples,
        dtypes=INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES,
        strict_dtypes=True,
        skips=((lambda dt, s: dt.is_complex, "interpret.py runs iota with torch.arange, which has no complex kernel"),),
    ),
    OpInfo("prims.empty", _empty_ref, _empty_samples, dtypes=ALL_DTYPES, strict_dtypes=True, compare_values=False),
    OpInfo("prims.uniform_philox", _uniform_ref, _uniform_samples, dtypes=FLOAT_DTYPES, strict_dtypes=True, compare_values=False),
    OpInfo("prims.rng_seed_offset", lambda numel, device="cpu": (0, 0), _rng_samples, dtypes=(torch.int64,), compare_values=False),
    OpInfo(
        "prims.item",
        lambda a: a.item(),
        _item_samples,
        dtypes=ALL_DTYPES,
        strict_dtypes=True,
        skips=(
            (
                lambda dt, s: dt.is_complex,
                "the ATen executor's item kernel converts the result to double and fails on "
                "complex tensors (src/executors/torch/other_kernels.cpp, k_item)",
            ),
        ),
    ),
    OpInfo("prims.device_put", lambda a, device: a.to(device), _device_put_samples, dtypes=ALL_DTYPES, strict_dtypes=True),
]
