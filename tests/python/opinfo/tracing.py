"""Records one op call on proxies through the C++ TraceBuilder."""

from __future__ import annotations

import torch

from keraunos import _C

_DTYPE_NAMES = {
    torch.bool: "bool",
    torch.uint8: "uint8",
    torch.int8: "int8",
    torch.int16: "int16",
    torch.int32: "int32",
    torch.int64: "int64",
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.float32: "float32",
    torch.float64: "float64",
    torch.complex64: "complex64",
    torch.complex128: "complex128",
    torch.float8_e4m3fn: "float8_e4m3fn",
    torch.float8_e5m2: "float8_e5m2",
}


def dtype_name(dt: torch.dtype) -> str:
    return _DTYPE_NAMES[dt]


def to_arg(tb, x, device=None):
    if isinstance(x, torch.Tensor):
        return tb.add_input_tensor(list(x.shape), dtype_name(x.dtype), device or str(x.device), x.requires_grad)
    if isinstance(x, torch.dtype):
        return _C.DType(dtype_name(x))
    if isinstance(x, torch.device):
        return _C.Device(str(x))
    if isinstance(x, (list, tuple)):
        return tuple(to_arg(tb, e, device) for e in x)
    return x


def record(op_id: str, args, kwargs, device=None):
    """Returns (builder, output proxies). `device` ("cuda:0") records the tensors as if they lived
    there: traces for a device this machine does not have (their kernels can be generated and
    compiled, not run)."""
    tb = _C.TraceBuilder()
    a = [to_arg(tb, x, device) for x in args]
    kw = {k: to_arg(tb, v, device) for k, v in kwargs.items()}
    outs = tb.call(op_id, a, kw)
    tb.set_outputs(outs)
    return tb, outs
