"""Conformance entries for indexing ops: Tensor.__getitem__, index_select, gather, scatter,
scatter_add, index_add, index_copy, take_along_dim, Tensor.index_put, one_hot.

Index values are always in range (an out-of-range index is a runtime error in torch that a trace
cannot check), and ops that overwrite (scatter, index_copy, index_put without accumulate) get
unique target positions, where torch's result is otherwise unspecified.
"""

import torch

from .core import OpInfo, Sample, make_tensor

F = torch.nn.functional


def _t(shape, dtype, **kw):
    return make_tensor(shape, dtype, **kw)


def _nc(shape, dtype):
    return make_tensor(shape, dtype, noncontiguous=True)


def _idx(shape, n, dtype=torch.int64, negative=False):
    """Random indices into a dim of size n (negative ones too when asked)."""
    lo = -n if negative else 0
    return torch.randint(lo, n, shape).to(dtype)


def _perm(k, n, dtype=torch.int64):
    return torch.randperm(n)[:k].to(dtype)


def _rows_perm(rows, k, n, dtype=torch.int64):
    """(rows, k) indices, unique within each row (scatter along dim 1)."""
    return torch.stack([torch.randperm(n)[:k] for _ in range(rows)]).to(dtype) if rows else torch.empty(0, k, dtype=dtype)


def _scalar_for(dtype):
    if dtype == torch.bool:
        return True
    if dtype.is_floating_point or dtype.is_complex:
        return 1.5
    return 3


# ---- __getitem__ -----------------------------------------------------------------------------


def _decode(key):
    """The front end's key encoding back to a Python index: "..." -> Ellipsis, (s, e, st) -> slice."""

    def item(k):
        if isinstance(k, str) and k == "...":
            return Ellipsis
        if isinstance(k, tuple):
            return slice(*k)
        return k

    return tuple(item(k) for k in key)


def getitem_ref(a, key):
    return a[_decode(key)]


ALL = (None, None, None)


def getitem_samples(dtype):
    x = lambda: _t((5, 6, 7), dtype)
    i64 = lambda shape, n, **kw: _idx(shape, n, **kw)
    # basic indexing
    yield Sample((x(), (0,)))
    yield Sample((x(), (-1,)))
    yield Sample((x(), (1, 2)))
    yield Sample((x(), (1, -2, 3)))
    yield Sample((x(), ((1, 4, None),)))
    yield Sample((x(), ((None, None, 2), -2)))
    yield Sample((x(), (ALL, (1, None, 3), (-3, None, None))))
    yield Sample((x(), ((-100, 100, 3),)), note="bounds clamp")
    yield Sample((x(), ((4, 2, None),)), note="empty slice")
    yield Sample((x(), (None,)))
    yield Sample((x(), (None, 0, None)))
    yield Sample((x(), ("...", 0)))
    yield Sample((x(), (0, "...", None)))
    yield Sample((x(), ("...",)))
    yield Sample((x(), (None, "...", None, 1)))
    yield Sample((x(), ()), note="empty key")
    # advanced indexing
    yield Sample((x(), (i64((3,), 5),)))
    yield Sample((x(), (i64((2, 3), 5, negative=True),)), note="negative indices")
    yield Sample((x(), (ALL, i64((4,), 6))))
    yield Sample((x(), (i64((2, 1), 5), i64((3,), 6))), note="indices broadcast")
    yield Sample((x(), (i64((2,), 5), ALL, i64((2,), 7))), note="separated: index dims first")
    yield Sample((x(), (ALL, i64((2,), 6), i64((2,), 7, negative=True))), note="adjacent after a slice")
    yield Sample((x(), (i64((2,), 5), 0, i64((2,), 7))), note="an int between: adjacent")
    yield Sample((x(), (ALL, i64((2,), 6), None, i64((2,), 7))), note="None between: separated")
    yield Sample((x(), (None, i64((2,), 5), (1, 4, None), i64((1, 2), 7))))
    yield Sample((x(), ("...", i64((3,), 7))))
    yield Sample((x(), (i64((2,), 5), i64((2,), 6), i64((2,), 7))))
    yield Sample((x(), (i64((3,), 5, dtype=torch.int32),)), note="int32 indices")
    yield Sample((x(), (i64((0,), 5),)), note="empty index")
    yield Sample((x(), (torch.tensor(2),)), note="0-d index tensor selects")
    yield Sample(
        (
            x(),
            (
                ALL,
                i64((2,), 6),
                ALL,
            ),
        ),
        note="trailing slice",
    )
    yield Sample((x(), (ALL, i64((2,), 6), torch.tensor(-1, dtype=torch.int32))), note="0-d int32 index selects")
    yield Sample((x(), (i64((2,), 5), ALL, torch.tensor(1, dtype=torch.int16))), note="0-d int16 index selects")
    # 0-d and 0-size inputs, noncontiguous
    yield Sample((_t((), dtype), (None,)))
    yield Sample((_t((), dtype), ("...",)))
    yield Sample((_t((), dtype), (None, "...", None)))
    yield Sample((_t((0, 3), dtype), (ALL, 1)))
    yield Sample((_t((0, 3), dtype), (i64((0,), 1),)))
    yield Sample((_nc((4, 6), dtype), ((1, None, 2), i64((3,), 3))), note="noncontiguous")
    # rejected by torch
    yield Sample((x(), (0, 0, 0, 0)), note="too many indices")
    yield Sample((x(), (5,)), note="index out of range")
    yield Sample((x(), (-6,)), note="index out of range")
    yield Sample((x(), ((None, None, -1),)), note="negative step")
    yield Sample((x(), ((None, None, 0),)), note="zero step")
    yield Sample((x(), ("...", "...")), note="two ellipses")
    yield Sample((x(), ("...", 0, "...")), note="two ellipses")
    yield Sample((x(), (0, 1, "...", 2, "...")), note="two ellipses skipping nothing")
    yield Sample((x(), ("...", None, "...")), note="two ellipses")
    yield Sample((x(), ("...", "...", None)), note="index after a second ellipsis")
    yield Sample((x(), (0, "...", "...", 1)), note="index after a second ellipsis")
    yield Sample((_t((), dtype), (0,)), note="int index of a 0-d tensor")
    yield Sample((x(), (i64((2,), 5, dtype=torch.int16),)), note="int16 indices")
    yield Sample((x(), (_t((2,), torch.float32),)), note="float indices")
    yield Sample((x(), (i64((2,), 5), i64((3,), 6))), note="indices do not broadcast")
    # boolean masks: data-dependent shapes (documented rejection)
    yield Sample((x(), (make_tensor((5,), torch.bool),)), note="bool mask")


_GETITEM_SKIPS = (
    (
        lambda dt, s: any(isinstance(k, torch.Tensor) and k.dtype in (torch.bool, torch.uint8) for k in s.args[1]),
        "boolean-mask indexing has a data-dependent shape: keraunos rejects it (use torch.where or masked_fill)",
    ),
)


# ---- index_select / gather / take_along_dim ---------------------------------------------------


def index_select_samples(dtype):
    yield Sample((_t((3, 4), dtype), 1, _idx((5,), 4)))
    yield Sample((_t((3, 4), dtype), 0, torch.tensor(2)), note="0-d index")
    yield Sample((_t((3, 4), dtype), -1, _idx((2,), 4, dtype=torch.int32)), note="int32 index")
    yield Sample((_t((), dtype), 0, torch.tensor(0)))
    yield Sample((_t((), dtype), 0, torch.tensor([0])))
    yield Sample((_t((0, 3), dtype), 0, _idx((0,), 1)))
    yield Sample((_t((3, 4), dtype), 1, _idx((0,), 4)))
    yield Sample((_t((3, 4), dtype), 1, _idx((2, 2), 4)), note="2-D index")
    yield Sample((_t((3, 4), dtype), 1, _idx((2,), 4, dtype=torch.int16)), note="int16 index")
    yield Sample((_t((), dtype), 0, torch.tensor([0, 0])), note="two indices into a 0-d tensor")
    yield Sample((_t((3, 4), dtype), 2, _idx((2,), 4)), note="dim out of range")
    yield Sample((_nc((3, 4), dtype), 1, _idx((3,), 4)), note="noncontiguous")
    yield Sample((_t((3, 4), dtype),), {"dim": 0, "index": _idx((2,), 3)}, note="keywords")


def gather_samples(dtype):
    yield Sample((_t((3, 4), dtype), 1, _idx((3, 2), 4)))
    yield Sample((_t((3, 4), dtype), 0, _idx((2, 4), 3)))
    yield Sample((_t((3, 4), dtype), -1, _idx((2, 6), 4)), note="index larger along dim")
    yield Sample((_t((3, 4, 2), dtype), 2, _idx((3, 1, 5), 2, dtype=torch.int32)), note="int32 index")
    yield Sample((_t((), dtype), 0, torch.tensor([0, 0])), note="0-d input")
    yield Sample((_t((), dtype), 0, torch.tensor(0)), note="0-d input and index")
    yield Sample((_t((3,), dtype), 0, torch.tensor(2)), note="0-d index")
    yield Sample((_t((3, 4), dtype), 1, _idx((0, 2), 4)))
    yield Sample((_t((3, 4), dtype), 1, _idx((4, 2), 4)), note="index larger outside dim")
    yield Sample((_t((3, 4), dtype), 1, _idx((3,), 4)), note="rank mismatch")
    yield Sample((_t((3, 4), dtype), 1, _idx((3, 2), 4, dtype=torch.int16)), note="int16 index")
    yield Sample((_nc((3, 4), dtype), 1, _idx((3, 2), 4)), note="noncontiguous")
    yield Sample((_t((3, 4), dtype), 1, _idx((3, 2), 4)), {"sparse_grad": False}, note="keyword")


def take_along_dim_samples(dtype):
    yield Sample((_t((3, 4), dtype), _idx((3, 2), 4), 1))
    yield Sample((_t((3, 4), dtype), _idx((5,), 12)), note="flattened")
    yield Sample((_t((2, 1), dtype), _idx((1, 3), 2), 0), note="broadcast outside dim")
    yield Sample((_t((3, 4), dtype), _idx((1, 2), 4), -1), note="broadcast outside dim")
    yield Sample((_t((), dtype), torch.tensor(0)), note="0-d, flattened")
    yield Sample((_t((0, 3), dtype), _idx((0, 2), 3), 1))
    yield Sample((_t((), dtype), torch.tensor(0), 0), note="dim on a 0-d input")
    yield Sample((_t((3, 4), dtype), _idx((3,), 4), 1), note="rank mismatch")
    yield Sample((_t((3, 4), dtype), _idx((3, 2), 4, dtype=torch.int32), 1), note="int32 indices")
    yield Sample((_nc((3, 4), dtype), _idx((3, 2), 4), 1), note="noncontiguous")
    yield Sample((_t((3, 4), dtype), _idx((3, 2), 3)), {"dim": 0}, note="keyword")


# ---- scatter family ---------------------------------------------------------------------------


def scatter_samples(dtype):
    v = _scalar_for(dtype)
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), _t((3, 2), dtype)))
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(2, 3, 5), _t((4, 4), dtype)), note="src larger than index")
    yield Sample((_t((5, 3), dtype), 0, _rows_perm(3, 2, 5).t(), _t((2, 3), dtype)), note="dim 0")
    yield Sample((_t((3, 5), dtype), -1, _rows_perm(3, 2, 5, dtype=torch.int32), _t((3, 2), dtype)), note="int32 index")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), v), note="value")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5)), {"value": v}, note="value keyword")
    yield Sample((_t((3,), dtype), 0, torch.tensor(1), _t((), dtype)), note="0-d index and src")
    yield Sample((_t((), dtype), 0, torch.tensor(0), _t((), dtype)), note="0-d")
    yield Sample((_t((), dtype), 0, torch.tensor([0]), _t((1,), dtype)), note="0-d input")
    yield Sample((_t((0, 3), dtype), 1, _idx((0, 2), 3), _t((0, 2), dtype)))
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 4), dtype)), {"reduce": "add"}, note="reduce add")
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), v), {"reduce": "add"}, note="reduce add, value")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), _t((3, 2), _other(dtype))), note="src dtype differs")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(4, 2, 5), _t((4, 2), dtype)), note="index larger than input")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), _t((3, 1), dtype)), note="index larger than src")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5, dtype=torch.int16), _t((3, 2), dtype)), note="int16 index")
    yield Sample((_nc((3, 6), dtype), 1, _rows_perm(3, 2, 6), _t((3, 2), dtype)), note="noncontiguous")
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 4), dtype)), {"reduce": "multiply"}, note="reduce multiply")


_SCATTER_SKIPS = (
    (lambda dt, s: s.kwargs.get("reduce") == "multiply", "reduce='multiply' has no prim (multiplicative scatter): keraunos rejects it"),
)


def _other(dtype):
    return torch.float64 if dtype != torch.float64 else torch.float32


def scatter_add_samples(dtype):
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 4), dtype)), note="repeated indices accumulate")
    yield Sample((_t((5, 3), dtype), 0, _idx((6, 3), 5), _t((6, 3), dtype)))
    yield Sample((_t((3, 5), dtype), -1, _idx((2, 3), 5, dtype=torch.int32), _t((3, 4), dtype)), note="int32 index, larger src")
    yield Sample((_t((3,), dtype), 0, torch.tensor(1), _t((), dtype)), note="0-d index and src")
    yield Sample((_t((), dtype), 0, torch.tensor([0, 0]), _t((2,), dtype)), note="0-d input")
    yield Sample((_t((0, 3), dtype), 1, _idx((0, 2), 3), _t((0, 2), dtype)))
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 4), _other(dtype))), note="src dtype differs")
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 2), dtype)), note="index larger than src")
    yield Sample((_nc((3, 6), dtype), 1, _idx((3, 4), 6), _t((3, 4), dtype)), note="noncontiguous")
    yield Sample((_t((3, 5), dtype),), {"dim": 1, "index": _idx((3, 2), 5), "src": _t((3, 2), dtype)}, note="keywords")


def index_add_samples(dtype):
    alpha = True if dtype == torch.bool else (2 if not (dtype.is_floating_point or dtype.is_complex) else 1.5)
    yield Sample((_t((4, 3), dtype), 0, _idx((5,), 4), _t((5, 3), dtype)), note="repeated indices accumulate")
    yield Sample((_t((4, 3), dtype), 1, _idx((2,), 3), _t((4, 2), dtype)), {"alpha": alpha})
    yield Sample((_t((4, 3), dtype), -1, _idx((2,), 3, dtype=torch.int32), _t((4, 2), dtype)), note="int32 index")
    yield Sample((_t((4, 3), dtype), 0, torch.tensor(1), _t((1, 3), dtype)), note="0-d index")
    yield Sample((_t((), dtype), 0, torch.tensor(0), _t((), dtype)), note="0-d")
    yield Sample((_t((0, 3), dtype), 1, _idx((2,), 3), _t((0, 2), dtype)))
    yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 3), _other(dtype))), note="source dtype differs")
    yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 2), dtype)), note="source shape")
    yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((3,), dtype)), note="source rank")
    yield Sample((_t((4, 3), dtype), 0, _idx((1, 2), 4), _t((2, 3), dtype)), note="2-D index")
    yield Sample((_t((), dtype), 0, torch.tensor([0]), _t((1,), dtype)), note="1-D source for a 0-d input")
    yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4, dtype=torch.int16), _t((2, 3), dtype)), note="int16 index")
    yield Sample((_nc((4, 6), dtype), 1, _idx((2,), 6), _t((4, 2), dtype)), note="noncontiguous")
    if dtype.is_floating_point or dtype.is_complex:
        yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 3), dtype)), {"alpha": -2}, note="int alpha")
    elif dtype != torch.bool:
        yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 3), dtype)), {"alpha": 1.5}, note="float alpha truncates")


def index_copy_samples(dtype):
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4), _t((2, 3), dtype)))
    yield Sample((_t((4, 3), dtype), 1, _perm(3, 3), _t((4, 3), dtype)))
    yield Sample((_t((4, 3), dtype), -1, torch.tensor(1), _t((4, 1), dtype)), note="0-d index")
    yield Sample((_t((3,), dtype), 0, torch.tensor([1]), _t((), dtype)), note="0-d source")
    yield Sample((_t((), dtype), 0, torch.tensor(0), _t((), dtype)), note="0-d")
    yield Sample((_t((), dtype), 0, torch.tensor([0]), _t((1,), dtype)), note="0-d input, 1-D source")
    yield Sample((_t((0, 3), dtype), 1, _perm(2, 3), _t((0, 2), dtype)))
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4, dtype=torch.int32), _t((2, 3), dtype)), note="int32 index")
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4), _t((2, 3), _other(dtype))), note="source dtype differs")
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4), _t((3, 3), dtype)), note="source shape")
    yield Sample((_t((3,), dtype), 0, _perm(2, 3), _t((), dtype)), note="scalar source, two indices")
    yield Sample((_t((4, 3), dtype), 1, _perm(1, 3), _t((), dtype)), note="scalar source for a 2-D input")
    yield Sample((_t((4, 3), dtype), 1, _perm(2, 3).reshape(2, 1), _t((4, 2), dtype)), note="2-D index")
    yield Sample((_nc((4, 6), dtype), 1, _perm(2, 6), _t((4, 2), dtype)), note="noncontiguous")


def index_put_samples(dtype):
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((2, 3), dtype)))
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((3,), dtype)), note="values broadcast")
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((), dtype)), note="0-d values")
    yield Sample((_t((4, 3, 2), dtype), [_perm(2, 4).reshape(2, 1), _perm(3, 3)], _t((2, 3, 2), dtype)), note="indices broadcast")
    yield Sample((_t((4, 3), dtype), [_perm(3, 4) - 4, _perm(3, 3)], _t((3,), dtype)), note="negative indices")
    yield Sample((_t((4, 3), dtype), [torch.tensor(1)], _t((3,), dtype)), note="0-d index")
    yield Sample((_t((4, 3), dtype), [_perm(2, 4, dtype=torch.int32)], _t((2, 3), dtype)), note="int32 index")
    yield Sample((_t((4, 3), dtype), [_idx((6,), 4)], _t((6, 3), dtype), True), note="accumulate, repeated indices")
    yield Sample((_t((4, 3), dtype), [_idx((6,), 4), _idx((6,), 3)], _t((), dtype)), {"accumulate": True}, note="accumulate keyword")
    yield Sample((_t((0, 3), dtype), [_idx((0,), 1)], _t((0, 3), dtype)))
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((2, 3), _other(dtype))), note="values dtype differs")
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((2, 1, 3), dtype)), note="values too large")
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)] * 3, _t((), dtype)), note="too many indices")
    yield Sample((_t((), dtype), [torch.tensor(0)], _t((), dtype)), note="0-d input")
    yield Sample((_t((4, 3), dtype), [_perm(2, 4, dtype=torch.int16)], _t((2, 3), dtype)), note="int16 index")
    yield Sample((_nc((4, 6), dtype), [_perm(2, 4)], _t((2, 6), dtype)), note="noncontiguous")
    yield Sample((_t((4, 3), dtype), [make_tensor((4,), torch.bool)], _t((), dtype)), note="bool mask")


_INDEX_PUT_SKIPS = (
    (
        lambda dt, s: any(i.dtype in (torch.bool, torch.uint8) for i in s.args[1]),
        "a boolean-mask index has a data-dependent shape: keraunos rejects it (use torch.where)",
    ),
)


def one_hot_samples(dtype):
    for s in [(), (5,), (2, 3), (0,), (3, 0)]:
        yield Sample((_idx(s, 4).to(dtype) if dtype != torch.bool else make_tensor(s, dtype), 4))
    yield Sample((_idx((5,), 4).to(dtype) if dtype != torch.bool else make_tensor((5,), dtype),), {"num_classes": 6}, note="keyword")
    yield Sample((_idx((5,), 4).to(dtype) if dtype != torch.bool else make_tensor((5,), dtype), 0), note="zero classes")
    yield Sample((_idx((5,), 4).to(dtype) if dtype != torch.bool else make_tensor((5,), dtype),), note="num_classes=-1")


_ONE_HOT_SKIPS = (
    (
        lambda dt, s: len(s.args) == 1 and "num_classes" not in s.kwargs and dt == torch.int64,
        "num_classes=-1 infers the class count from the data (data-dependent size): keraunos rejects it",
    ),
)


OPS = [
    OpInfo(
        "torch.Tensor.__getitem__",
        getitem_ref,
        getitem_samples,
        dtypes=None,
        skips=_GETITEM_SKIPS,
        note="key encoding: ints, None, '...', (start, stop, step) slices and integer tensors",
    ),
    OpInfo("torch.index_select", torch.index_select, index_select_samples, dtypes=None),
    OpInfo("torch.gather", torch.gather, gather_samples, dtypes=None),
    OpInfo("torch.take_along_dim", torch.take_along_dim, take_along_dim_samples, dtypes=None),
    OpInfo("torch.scatter", torch.scatter, scatter_samples, dtypes=None, skips=_SCATTER_SKIPS),
    OpInfo("torch.scatter_add", torch.scatter_add, scatter_add_samples, dtypes=None),
    OpInfo("torch.index_add", torch.index_add, index_add_samples, dtypes=None),
    OpInfo("torch.index_copy", torch.index_copy, index_copy_samples, dtypes=None),
    OpInfo(
        "torch.Tensor.index_put",
        lambda a, indices, values, accumulate=False: a.index_put(tuple(indices), values, accumulate),
        index_put_samples,
        dtypes=None,
        skips=_INDEX_PUT_SKIPS,
    ),
    OpInfo("torch.nn.functional.one_hot", F.one_hot, one_hot_samples, dtypes=None, skips=_ONE_HOT_SKIPS),
]
