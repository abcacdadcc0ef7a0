"""A reference interpreter for prims, in PyTorch: runs a recorded trace flattened to prims.

This is a test oracle for decompositions (does the chain of prims compute what the torch op
computes?), independent of the C++ executors."""

from __future__ import annotations

import torch

from keraunos import _C

_DT = {}


def _dtype(d):
    if isinstance(d, _C.DType):
        if not _DT:
            for name in (
                "bool uint8 int8 int16 int32 int64 float16 bfloat16 float32 float64 complex64 complex128 float8_e4m3fn float8_e5m2"
            ).split():
                _DT[name] = getattr(torch, name)
        return _DT[d.name]
    return d


def _device(d):
    return torch.device(str(d))


def _weak(fn):
    def run(*args):
        t = next((a for a in args if isinstance(a, torch.Tensor)), None)
        if t is None:
            return fn(*[torch.tensor(a) for a in args]).item()
        return fn(*(a if isinstance(a, torch.Tensor) else torch.full_like(t, a) for a in args))

    return run


def _div(a, b):
    t = a if isinstance(a, torch.Tensor) else b
    if isinstance(t, torch.Tensor) and not (t.dtype.is_floating_point or t.dtype.is_complex):
        return _weak(lambda x, y: torch.div(x, y, rounding_mode="trunc"))(a, b)
    return _weak(torch.div)(a, b)


def _broadcast_in_dim(a, shape, bdims):
    view = [1] * len(shape)
    for i, d in enumerate(bdims):
        view[d] = a.shape[i]
    return a.reshape(view).expand(tuple(shape)).clone()


def _slice(a, start, end, strides=None):
    strides = strides or (1,) * len(start)
    return a[tuple(slice(s, e, st) for s, e, st in zip(start, end, strides))].clone()


def _pad(a, value, config):
    out_shape = []
    for n, (lo, hi, interior) in zip(a.shape, config):
        out_shape.append(n + lo + hi + max(n - 1, 0) * interior)
    # Place with interior spacing into a buffer padded generously on both sides, then crop.
    big_shape = [n + max(lo, 0) + max(hi, 0) + max(n - 1, 0) * it for n, (lo, hi, it) in zip(a.shape, config)]
    out = torch.full(big_shape, value, dtype=a.dtype, device=a.device)
    idx = tuple(
        slice(max(lo, 0), max(lo, 0) + (n - 1) * (it + 1) + 1 if n else max(lo, 0), it + 1) for n, (lo, hi, it) in zip(a.shape, config)
    )
    out[idx] = a
    crop = tuple(slice(-min(lo, 0), -min(lo, 0) + o) for (lo, hi, it), o in zip(config, out_shape))
    return out[crop].clone()


def _reduce(fn):
    def run(a, dims):
        if len(dims) == 0:
            return a.clone()
        out = a
        for d in sorted(dims, reverse=True):
            out = fn(out, d)
        return out

    return run


def _var(a, dims, correction=1):
    return torch.var(a, dim=tuple(dims), correction=correction) if len(dims) else torch.var(a.unsqueeze(0), dim=(0,), correction=correction)


def _var_mean(a, dims, correction=1):
    return _var(a, dims, correction), (torch.mean(a, dim=tuple(dims)) if len(dims) else a.clone())


def _iota(length, start=0, step=1, device="cpu", dtype=torch.int64):
    return torch.arange(start, start + step * length, step, dtype=_dtype(dtype), device=_device(device))[:length]


_GRID_BITS = {torch.float16: 11, torch.bfloat16: 8}


def _uniform_philox(shape, seed, offset, minval=0.0, maxval=1.0, device="cpu", dtype=torch.float32):
    # Not the Philox stream (values are not compared), but the same contract: [minval, maxval),
    # and for float16/bfloat16 samples on the dtype's grid so rounding never reaches maxval.
    dt = _dtype(dtype)
    g = torch.Generator().manual_seed(int(seed) * 1000003 + int(offset))
    u = torch.rand(tuple(shape), generator=g, dtype=torch.float64)
    if dt in _GRID_BITS:
        u = torch.floor(u * 2 ** _GRID_BITS[dt]) / 2 ** _GRID_BITS[dt]
    return (u * (maxval - minval) + minval).to(dt)


def _take_along_axis(a, index, dim):
    return torch.take_along_dim(a, index.long(), dim)


def _convert(a, dt):
    if not isinstance(a, torch.Tensor):
        return a
    if a.is_complex() and dt == torch.bool:
        return a != 0
    if a.is_complex() and not dt.is_complex:
        return a.real.to(dt)
    return a.to(dt)


def _index_put(a, indices, values, accumulate=False):
    return a.index_put(tuple(indices), values, accumulate=accumulate)


PRIMS = {
    "convert_element_type": lambda a, dt: _convert(a, _dtype(dt)),
    "div": _div,
    "lerp": _weak(torch.lerp),
    "where": lambda c, a, b: torch.where(c, a, b),
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": lambda a, shape: a.reshape(tuple(shape)).clone(),
    "transpose": lambda a, perm: a.permute(tuple(perm)).clone(),
    "slice": _slice,
    "squeeze": lambda a, dims: a.squeeze(tuple(dims)) if dims else a.clone(),
    "cat": lambda ts, dim: torch.cat(list(ts), dim),
    "pad": _pad,
    "flip": lambda a, dims: torch.flip(a, tuple(dims)),
    "shallow_copy": lambda a: a.clone(),
    # Prims keep the input dtype (torch would accumulate integers in int64).
    "sum": lambda a, dims: (torch.sum(a, dim=tuple(dims)) if len(dims) else a.clone()).to(a.dtype),
    "prod": lambda a, dims: _reduce(torch.prod)(a, dims).to(a.dtype),
    "amax": lambda a, dims: torch.amax(a, dim=tuple(dims)) if len(dims) else a.clone(),
    "amin": lambda a, dims: torch.amin(a, dim=tuple(dims)) if len(dims) else a.clone(),
    "var": _var,
    "var_mean": _var_mean,
    "argmax": lambda a, dim=None: torch.argmax(a, dim),
    "argmin": lambda a, dim=None: torch.argmin(a, dim),
    "full": lambda shape, value, device="cpu", dtype=torch.float32: torch.full(
        tuple(shape), value, dtype=_dtype(dtype), device=_device(device)
    ),
    "iota": _iota,
    "empty": lambda shape, device="cpu", dtype=torch.float32: torch.zeros(tuple(shape), dtype=_dtype(dtype), device=_device(device)),
    "uniform_philox": _uniform_philox,
    "rng_seed_offset": lambda numel, device="cpu": (0, 0),
    "item": lambda a: a.item(),
    "print": lambda a: None,
    "device_put": lambda a, device: a.to(_device(device)),
    "matmul": torch.matmul,
    "linear": lambda a, w, b=None: torch.nn.functional.linear(a, w, b),
    "embedding": lambda idx, w: torch.nn.functional.embedding(idx, w),
    "embedding_backward": lambda g, idx, n, pad=-1, scale=False: torch.ops.aten.embedding_backward(g, idx, n, pad, scale, False),
    # index_select semantics: a 0-d index selects one entry and keeps the dim (size 1).
    "take": lambda a, index, dim: torch.index_select(a, dim, index.reshape(-1)) if a.dim() else a.clone(),
    "gather": lambda a, dim, index: torch.gather(a, dim, index),
    "take_along_axis": _take_along_axis,
    "scatter": lambda a, dim, index, src: torch.scatter(a, dim, index, src),
    "scatter_add": lambda a, dim, index, src: torch.scatter_add(a, dim, index, src),
    "index_add": lambda a, dim, index, src: torch.index_add(a, dim, index, src),
    "index_copy": lambda a, dim, index, src: torch.index_copy(a, dim, index, src),
    "index_put": _index_put,
    "cumsum": lambda a, dim: torch.cumsum(a, dim).to(a.dtype),
    "cumprod": lambda a, dim: torch.cumprod(a, dim).to(a.dtype),
    "topk": lambda a, k, dim, largest, sorted: tuple(torch.topk(a, k, dim, largest, sorted)),
    "sort": lambda a, dim, descending, stable: tuple(torch.sort(a, dim=dim, descending=descending, stable=stable)),
}

_SAME_NAME = {
    "shift_left": torch.bitwise_left_shift,
    "shift_right": torch.bitwise_right_shift,
}


def prim_impl(name):
    if name in PRIMS:
        return PRIMS[name]
    fn = _SAME_NAME.get(name) or getattr(torch, name)
    return _weak(fn)


def run_trace(tb, inputs):
    """Runs tb (a TraceBuilder) on real tensors/numbers given for tb.inputs, prim by prim."""
    env = {p.id: v for p, v in zip(tb.inputs, inputs)}

    def val(x):
        if isinstance(x, _C.Proxy):
            return env[x.id]
        if isinstance(x, (list, tuple)):
            return tuple(val(e) for e in x)
        if isinstance(x, _C.DType):
            return _dtype(x)
        if isinstance(x, _C.Device):
            return _device(x)
        return x

    for sym, args, outs in tb.flat_prims():
        assert sym.startswith("prims."), f"{sym} has no decomposition to prims"
        res = prim_impl(sym[len("prims.") :])(*[val(a) for a in args])
        if not outs:
            continue
        if len(outs) == 1:
            res = (res,)
        for o, r in zip(outs, res):
            env[o.id] = r
    return [val(o) for o in tb.outputs()]
