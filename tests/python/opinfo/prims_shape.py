"""Conformance entries for the shape and indexing prims. Prims are strict: they take explicit sizes
(no -1), in-bounds slices, and operands that already agree; the references below are written with
torch and raise where the prim's contract rejects a call, so rejection is checked too. Every prim
here moves data without arithmetic on it (or adds in the input's dtype), so all dtypes are accepted.
"""

import torch

from .core import ALL_DTYPES, OpInfo, Sample, make_tensor


def _t(shape, dtype, **kw):
    return make_tensor(shape, dtype, **kw)


def _idx(shape, n, dtype=torch.int64):
    return torch.randint(0, n, shape).to(dtype)


def _perm(k, n, dtype=torch.int64):
    return torch.randperm(n)[:k].to(dtype)


def _rows_perm(rows, k, n):
    return torch.stack([torch.randperm(n)[:k] for _ in range(rows)])


def _check(cond, msg):
    if not cond:
        raise ValueError(msg)


# ---- references --------------------------------------------------------------------------------


def broadcast_in_dim_ref(a, shape, bdims):
    _check(len(bdims) == a.dim(), "one broadcast dim per input dim")
    _check(list(bdims) == sorted(set(bdims)) and all(0 <= d < len(shape) for d in bdims), "increasing dims of the result")
    view = [1] * len(shape)
    for i, d in enumerate(bdims):
        _check(a.shape[i] in (1, shape[d]), "input dim must be 1 or the result's size")
        view[d] = a.shape[i]
    return a.reshape(view).expand(tuple(shape)).clone()


def reshape_ref(a, shape):
    _check(all(s >= 0 for s in shape), "explicit sizes only")
    return torch.reshape(a, tuple(shape)).clone()


def slice_ref(a, start, end, strides=None):
    strides = strides or (1,) * a.dim()
    _check(len(start) == len(end) == len(strides) == a.dim(), "one entry per dim")
    out = a
    for d, (s, e, st) in enumerate(zip(start, end, strides)):
        _check(st > 0 and 0 <= s <= e <= a.shape[d], "in-bounds slice with a positive stride")
        out = out.narrow(d, s, e - s)
        out = out[(slice(None),) * d + (slice(None, None, st),)]
    return out.clone()


def squeeze_ref(a, dims):
    dims = [d % max(a.dim(), 1) for d in dims]
    _check(len(set(dims)) == len(dims), "repeated dim")
    _check(all(a.dim() == 0 or a.shape[d] == 1 for d in dims), "squeezed dims must have size 1")
    return a.squeeze(tuple(dims)).clone() if dims else a.clone()


def cat_ref(tensors, dim):
    _check(len({t.dtype for t in tensors}) == 1, "same dtype")
    _check(len({t.dim() for t in tensors}) == 1, "same rank")
    return torch.cat(list(tensors), dim)


def pad_ref(a, value, config):
    _check(len(config) == a.dim(), "one (low, high, interior) per dim")
    out = a
    for d, (lo, hi, interior) in enumerate(config):
        _check(interior >= 0, "interior >= 0")
        n = out.shape[d]
        if interior and n > 1:
            shape = list(out.shape)
            shape[d] = n + (n - 1) * interior
            spread = torch.full(shape, value, dtype=a.dtype, device=a.device)
            spread[(slice(None),) * d + (slice(None, None, interior + 1),)] = out
            out = spread
        n = out.shape[d]
        _check(n + lo + hi >= 0, "negative size")
        if lo < 0:
            out = out.narrow(d, -lo, n + lo)
        if hi < 0:
            out = out.narrow(d, 0, out.shape[d] + hi)
        parts = []
        for amount in (lo, None, hi):
            if amount is None:
                parts.append(out)
            elif amount > 0:
                shape = list(out.shape)
                shape[d] = amount
                parts.append(torch.full(shape, value, dtype=a.dtype, device=a.device))
        out = torch.cat(parts, d)
    return out.clone()


def _index_rank_ok(a, index):
    return index.dim() == a.dim() or (a.dim() == 0 and index.dim() <= 1)


def gather_ref(a, dim, index):
    _check(_index_rank_ok(a, index), "index must have the input's rank")
    return torch.gather(a, dim, index)


def take_along_axis_ref(a, index, dim):
    # torch.take_along_dim, but with int32 indices accepted as gather does.
    _check(index.dim() == a.dim(), "index must have the input's rank")
    sa, si = list(a.shape), list(index.shape)
    sa[dim] = si[dim] = 1
    b = list(torch.broadcast_shapes(sa, si))
    ea, ei = list(b), list(b)
    ea[dim], ei[dim] = a.shape[dim], index.shape[dim]
    return torch.gather(a.expand(ea), dim, index.expand(ei))


def take_ref(a, index, dim):
    _check(index.dim() <= 1, "0-D or 1-D index")
    return torch.index_select(a, dim, index)


def index_put_ref(a, indices, values, accumulate=False):
    return a.index_put(tuple(indices), values, accumulate)


# ---- samples -------------------------------------------------------------------------------------


def broadcast_in_dim_samples(dtype):
    yield Sample((_t((3, 1), dtype), (2, 3, 4), (1, 2)))
    yield Sample((_t((3,), dtype), (3, 2), (0,)))
    yield Sample((_t((), dtype), (2, 3), ()))
    yield Sample((_t((0, 1), dtype), (0, 5), (0, 1)))
    yield Sample((_t((2, 3), dtype), (2, 3), (0, 1)), note="same shape")
    yield Sample((_t((3, 1), dtype), (2, 3, 4), (1,)), note="wrong number of dims")
    yield Sample((_t((3, 1), dtype), (2, 3, 4), (2, 1)), note="decreasing dims")
    yield Sample((_t((3, 2), dtype), (3, 4), (0, 1)), note="size mismatch")


def reshape_samples(dtype):
    yield Sample((_t((3, 4), dtype), (4, 3)))
    yield Sample((_t((3, 4), dtype), (12,)))
    yield Sample((_t((3, 4), dtype), (2, 2, 3)))
    yield Sample((_t((), dtype), (1, 1)))
    yield Sample((_t((1,), dtype), ()))
    yield Sample((_t((0, 3), dtype), (3, 0)))
    yield Sample((_t((3, 4), dtype), (5,)), note="wrong numel")
    yield Sample((_t((3, 4), dtype), (-1,)), note="-1 is torch.reshape's, not the prim's")


def transpose_samples(dtype):
    yield Sample((_t((2, 3), dtype), (1, 0)))
    yield Sample((_t((2, 3, 4), dtype), (2, 0, 1)))
    yield Sample((_t((2, 3, 4), dtype), (0, 1, 2)))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((0, 3), dtype), (1, 0)))
    yield Sample((_t((2, 3), dtype), (0,)), note="wrong length")
    yield Sample((_t((2, 3), dtype), (1, 1)), note="repeated dim")


def slice_samples(dtype):
    yield Sample((_t((5, 6), dtype), (1, 0), (4, 6), (2, 3)))
    yield Sample((_t((5, 6), dtype), (1, 2), (5, 4)))
    yield Sample((_t((5,), dtype), (0,), (5,)))
    yield Sample((_t((5,), dtype), (3,), (3,)), note="empty")
    yield Sample((_t((0, 3), dtype), (0, 1), (0, 3)))
    yield Sample((_t((), dtype), (), ()))
    yield Sample((_t((5,), dtype), (0,), (6,)), note="end past the size")
    yield Sample((_t((5,), dtype), (3,), (2,)), note="start after end")
    yield Sample((_t((5,), dtype), (0,), (5,), (0,)), note="zero stride")
    yield Sample((_t((5, 6), dtype), (0,), (5,)), note="too few entries")


def squeeze_samples(dtype):
    yield Sample((_t((1, 2, 1), dtype), (0, 2)))
    yield Sample((_t((1, 2, 1), dtype), (-1,)))
    yield Sample((_t((1,), dtype), (0,)))
    yield Sample((_t((2, 3), dtype), ()))
    yield Sample((_t((1, 0), dtype), (0,)))
    yield Sample((_t((2, 1), dtype), (0,)), note="size 2")
    yield Sample((_t((1, 1), dtype), (0, 0)), note="repeated dim")


def cat_samples(dtype):
    yield Sample(([_t((2, 3), dtype), _t((4, 3), dtype)], 0))
    yield Sample(([_t((2, 3), dtype), _t((2, 1), dtype), _t((2, 0), dtype)], 1))
    yield Sample(([_t((2, 3), dtype)], -1))
    yield Sample(([_t((0, 3), dtype), _t((2, 3), dtype)], 0))
    yield Sample(([_t((2, 3), dtype), _t((2, 4), dtype)], 0), note="size mismatch")
    yield Sample(([_t((2, 3), dtype), _t((2, 3, 1), dtype)], 0), note="rank mismatch")
    yield Sample(([_t((2, 3), dtype), _t((2, 3), torch.float64 if dtype != torch.float64 else torch.float32)], 0), note="dtype mismatch")


def pad_samples(dtype):
    v = True if dtype == torch.bool else (2 if not (dtype.is_floating_point or dtype.is_complex) else 1.5)
    yield Sample((_t((2, 3), dtype), v, ((1, 2, 0), (0, 1, 0))))
    yield Sample((_t((2, 3), dtype), v, ((0, 0, 1), (1, 0, 2))), note="interior")
    yield Sample((_t((4, 5), dtype), v, ((-1, 1, 0), (2, -3, 1))), note="negative and interior")
    yield Sample((_t((3,), dtype), v, ((-2, -1, 0),)), note="crop to 0")
    yield Sample((_t((0, 3), dtype), v, ((1, 1, 3), (0, 0, 0))), note="0-size with interior")
    yield Sample((_t((), dtype), v, ()))
    yield Sample((_t((3,), dtype), v, ((-3, -1, 0),)), note="negative size")
    yield Sample((_t((3,), dtype), v, ((0, 0, -1),)), note="negative interior")
    yield Sample((_t((2, 3), dtype), v, ((1, 1, 0),)), note="too few entries")


def flip_samples(dtype):
    yield Sample((_t((2, 3), dtype), (0,)))
    yield Sample((_t((2, 3, 4), dtype), (0, 2)))
    yield Sample((_t((2, 3), dtype), ()))
    yield Sample((_t((0, 3), dtype), (1,)))
    yield Sample((_t((2, 3), dtype), (0, 0)), note="repeated dim")
    yield Sample((_t((2, 3), dtype), (2,)), note="dim out of range")


def shallow_copy_samples(dtype):
    for s in [(), (4,), (2, 3), (0, 2)]:
        yield Sample((_t(s, dtype),))


def take_samples(dtype):
    yield Sample((_t((3, 4), dtype), _idx((5,), 4), 1))
    yield Sample((_t((3, 4), dtype), _idx((2,), 3, torch.int32), 0))
    yield Sample((_t((3, 4), dtype), _idx((0,), 3), 0))
    yield Sample((_t((), dtype), torch.tensor([0]), 0))
    yield Sample((_t((3, 4), dtype), _idx((2, 2), 3), 0), note="2-D index")
    yield Sample((_t((3, 4), dtype), _idx((2,), 3, torch.int16), 0), note="int16 index")


def gather_samples(dtype):
    yield Sample((_t((3, 4), dtype), 1, _idx((3, 2), 4)))
    yield Sample((_t((3, 4), dtype), 0, _idx((2, 4), 3, torch.int32)))
    yield Sample((_t((3, 4), dtype), 1, _idx((2, 6), 4)))
    yield Sample((_t((), dtype), 0, torch.tensor([0, 0])))
    yield Sample((_t((3, 4), dtype), 1, _idx((3,), 4)), note="rank mismatch")
    yield Sample((_t((3, 4), dtype), 1, _idx((4, 2), 4)), note="index larger outside dim")
    yield Sample((_t((3, 4), dtype), 1, _idx((3, 2), 4, torch.int16)), note="int16 index")


def take_along_axis_samples(dtype):
    yield Sample((_t((3, 4), dtype), _idx((3, 2), 4), 1))
    yield Sample((_t((2, 1), dtype), _idx((1, 3), 2), 0), note="broadcast outside dim")
    yield Sample((_t((3, 4), dtype), _idx((1, 6), 4), -1))
    yield Sample((_t((3, 4), dtype), _idx((3,), 4), 1), note="rank mismatch")


def scatter_samples(dtype):
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), _t((3, 2), dtype)))
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(2, 2, 5), _t((4, 3), dtype)), note="src larger than index")
    yield Sample((_t((5, 3), dtype), 0, _rows_perm(3, 2, 5).t().int(), _t((2, 3), dtype)), note="int32 index")
    yield Sample((_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), True if dtype == torch.bool else 2), note="value")
    yield Sample(
        (_t((3, 5), dtype), 1, _rows_perm(3, 2, 5), _t((3, 2), torch.float64 if dtype != torch.float64 else torch.float32)),
        note="src dtype mismatch",
    )


def scatter_add_samples(dtype):
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 4), dtype)))
    yield Sample((_t((5, 3), dtype), 0, _idx((6, 3), 5, torch.int32), _t((7, 3), dtype)))
    yield Sample((_t((3, 5), dtype), 1, _idx((3, 4), 5), _t((3, 2), dtype)), note="index larger than src")


def index_add_samples(dtype):
    yield Sample((_t((4, 3), dtype), 0, _idx((5,), 4), _t((5, 3), dtype)))
    yield Sample((_t((4, 3), dtype), 1, _idx((2,), 3, torch.int32), _t((4, 2), dtype)))
    yield Sample((_t((4, 3), dtype), 0, torch.tensor(2), _t((1, 3), dtype)), note="0-d index")
    yield Sample((_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 2), dtype)), note="source shape")
    yield Sample(
        (_t((4, 3), dtype), 0, _idx((2,), 4), _t((2, 3), torch.float64 if dtype != torch.float64 else torch.float32)), note="source dtype"
    )


def index_copy_samples(dtype):
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4), _t((2, 3), dtype)))
    yield Sample((_t((4, 3), dtype), 1, _perm(3, 3), _t((4, 3), dtype)))
    yield Sample((_t((4, 3), dtype), 0, torch.tensor(1), _t((1, 3), dtype)), note="0-d index")
    yield Sample((_t((4, 3), dtype), 0, _perm(2, 4), _t((3, 3), dtype)), note="source shape")


def index_put_samples(dtype):
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((2, 3), dtype)))
    yield Sample((_t((4, 3), dtype), [_perm(2, 4)], _t((3,), dtype)), note="values broadcast")
    yield Sample((_t((4, 3, 2), dtype), [_perm(2, 4).reshape(2, 1), _perm(3, 3).int()], _t((2, 3, 2), dtype)), note="indices broadcast")
    yield Sample((_t((4, 3), dtype), [_idx((6,), 4)], _t((6, 3), dtype), True), note="accumulate")
    yield Sample(
        (_t((4, 3), dtype), [_perm(2, 4)], _t((2, 3), torch.float64 if dtype != torch.float64 else torch.float32)),
        note="values dtype mismatch",
    )


def _prim(name, ref, samples):
    return OpInfo(f"prims.{name}", ref, samples, dtypes=ALL_DTYPES, strict_dtypes=True)


OPS = [
    _prim("broadcast_in_dim", broadcast_in_dim_ref, broadcast_in_dim_samples),
    _prim("reshape", reshape_ref, reshape_samples),
    _prim("transpose", lambda a, perm: a.permute(tuple(perm)).clone(), transpose_samples),
    _prim("slice", slice_ref, slice_samples),
    _prim("squeeze", squeeze_ref, squeeze_samples),
    _prim("cat", cat_ref, cat_samples),
    _prim("pad", pad_ref, pad_samples),
    _prim("flip", lambda a, dims: torch.flip(a, tuple(dims)), flip_samples),
    _prim("shallow_copy", lambda a: a.clone(), shallow_copy_samples),
    _prim("take", take_ref, take_samples),
    _prim("gather", gather_ref, gather_samples),
    _prim("take_along_axis", take_along_axis_ref, take_along_axis_samples),
    _prim("scatter", torch.scatter, scatter_samples),
    _prim("scatter_add", torch.scatter_add, scatter_add_samples),
    _prim("index_add", torch.index_add, index_add_samples),
    _prim("index_copy", torch.index_copy, index_copy_samples),
    _prim("index_put", index_put_ref, index_put_samples),
]
