"""The table from Python callables (torch functions, Tensor methods, operators) to keraunos symbol
ids, with the argument adapters torch's Python signatures need (varargs sizes, reversed operators,
Tensor.to's overloads, indexing keys, in-place methods)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from keraunos import _C
from keraunos._proxies import NumberProxy, TensorProxy, UnsupportedOpError, user_location

if TYPE_CHECKING:
    from keraunos._tracer import Tracer

# What the op table says about each torch-level op's Python API (declared with the op in C++;
# python_facts in src/ops/meta_utils.h): other names, operators, views, varargs sizes, return types
# and autocast policy. The front end keeps no list of ops of its own.
_FACTS = _C.python_facts()

# Ops that return views in eager PyTorch: their outputs share the input's alias group.
VIEW_OPS = {sid for sid, f in _FACTS.items() if f["view"]}
# torch.autocast's policy: run in the autocast dtype, or in float32 (CPU autocast and CUDA autocast differ).
AUTOCAST_LOWER = {sid for sid, f in _FACTS.items() if f["autocast_cuda"] == "lower"}
AUTOCAST_FP32 = {sid for sid, f in _FACTS.items() if f["autocast_cuda"] == "fp32"}
AUTOCAST_FP32_CPU = {sid for sid, f in _FACTS.items() if f["autocast_cpu"] == "fp32"}
# Operators: dunder -> (symbol id, operands reversed); in-place ones rebind their left operand.
DUNDERS: dict[str, tuple[str, bool]] = {}
INPLACE_DUNDERS: set[str] = set()
ALIASES: dict[str, str] = {}
for _sid, _f in _FACTS.items():
    for _name in _f["names"]:
        _kind, _, _dunder = _name.rpartition(":")
        if _dunder.startswith("__"):
            DUNDERS[_dunder] = (_sid, _kind == "r")
            if _kind == "i":
                INPLACE_DUNDERS.add(_dunder)
        else:
            ALIASES[_name] = _sid  # another Python name of the op
# Ops whose Python form takes varargs sizes (x.view(2, 3), torch.zeros(2, 3)): from this argument on.
VARARG_SIZE = {sid: f["varargs"] for sid, f in _FACTS.items() if f["varargs"] >= 0}
_RETURN_TYPES = {sid: getattr(torch.return_types, f["returns"]) for sid, f in _FACTS.items() if f["returns"]}

# Python-only parameters torch's wrappers take that the symbols do not.
DROP_KWARGS = {"_stacklevel", "out"}


def _python_object(path: str) -> Any:
    obj = None
    parts = path.split(".")
    if parts[0] != "torch":
        return None
    obj = torch
    for p in parts[1:]:
        obj = getattr(obj, p, None)
        if obj is None:
            return None
    return obj


def _pack_sizes(op_id: str, args: tuple) -> tuple:
    pos = VARARG_SIZE.get(op_id)
    if pos is None or len(args) <= pos:
        return args
    rest = args[pos:]
    if all((isinstance(a, int) and not isinstance(a, bool)) or isinstance(a, NumberProxy) for a in rest):
        return args[:pos] + (tuple(rest),)
    return args


class OpTable:
    def __init__(self) -> None:
        self.ids = {sid for sid, is_prim, _ in _C.symbols() if not is_prim and sid.startswith("torch.")}
        self.by_func: dict = {}
        for sid in sorted(self.ids):
            obj = _python_object(sid)
            if obj is not None:
                self.by_func.setdefault(obj, sid)
            # torch.X functions are also Tensor methods.
            last = sid.rsplit(".", 1)[1]
            if sid.count(".") == 1 and hasattr(torch.Tensor, last):
                self.by_func.setdefault(getattr(torch.Tensor, last), sid)
            if sid.startswith("torch.nn.functional.") and hasattr(torch.Tensor, last):
                self.by_func.setdefault(getattr(torch.Tensor, last), sid)
        for alias, sid in ALIASES.items():
            obj = _python_object(alias)
            if obj is not None and sid in self.ids:
                self.by_func[obj] = sid
        self.cache: dict = {}
        # Operators by identity (Tensor.__pow__ is a Python wrapper named "pow"; __rtruediv__ is __rdiv__).
        self.dunders: dict[Any, tuple[str, bool, bool]] = {}
        for name, (sid, rev) in DUNDERS.items():
            obj = getattr(torch.Tensor, name, None)
            if obj is not None and sid in self.ids:
                self.dunders.setdefault(obj, (sid, rev, name in INPLACE_DUNDERS))

    def lookup(self, func: Any, prop: str | None = None) -> Callable[..., Any] | None:
        key = (func, prop)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        entry = self._build(func, prop)
        if entry is not None:
            self.cache[key] = entry
        return entry

    def _build(self, func: Any, prop: str | None) -> Callable[..., Any] | None:
        name = getattr(func, "__name__", "")
        if prop in ("T", "mT"):
            return lambda tr, args, kwargs: _call(
                tr,
                "torch.permute" if prop == "T" else "torch.transpose",
                (args[0], tuple(reversed(range(args[0].ndim)))) if prop == "T" else (args[0], -2, -1),
                {},
            )
        if prop in ("real", "imag"):
            return lambda tr, args, kwargs: _call(tr, f"torch.{prop}", args, {})
        if func in self.dunders:
            dsid, rev, inplace = self.dunders[func]

            def dunder(
                tr: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any], sid: str = dsid, rev: bool = rev, inplace: bool = inplace
            ) -> Any:
                a = (args[1], args[0]) if rev else args
                out = _call(tr, sid, a, {})
                return _rebind(tr, args[0], out) if inplace else out

            return dunder
        if name == "__getitem__" and "torch.Tensor.__getitem__" in self.ids:
            return lambda tr, args, kwargs: _call(tr, "torch.Tensor.__getitem__", (args[0], _index_key(args[1])), {})
        if name == "__setitem__":
            return None
        if name == "to" and func is torch.Tensor.to:
            return _to
        if func in (torch.tensor, torch.as_tensor, torch.scalar_tensor):
            return _tensor_literal
        if func is torch.einsum and "torch.einsum" in self.ids:
            return _einsum
        if name in ("new_zeros", "new_ones", "new_full", "new_empty") and getattr(torch.Tensor, name, None) is func:
            return _new_tensor(name[4:])
        sid = self.by_func.get(func)
        if sid is None and name.endswith("_") and not name.endswith("__"):
            base = getattr(torch.Tensor, name[:-1], None)
            base_sid = self.by_func.get(base)
            if base_sid is not None:
                return lambda tr, args, kwargs, s=base_sid: _rebind(tr, args[0], _call(tr, s, args, kwargs))
            return None
        if sid is None:
            return None
        return lambda tr, args, kwargs, s=sid: _call(tr, s, args, kwargs)


def _index_key(key: Any) -> tuple[Any, ...]:
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, list):
            raise UnsupportedOpError(
                f"keraunos does not support indexing with a Python list at {user_location()}; index with a tensor instead"
            )
        out.append(k)
    return tuple(out)


def _autocast(tr: Tracer, sid: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if tr.autocast is None:
        return args
    device_type, dev_dtype = tr.autocast
    fp32 = AUTOCAST_FP32_CPU if device_type == "cpu" else AUTOCAST_FP32
    target = dev_dtype if sid in AUTOCAST_LOWER else (torch.float32 if sid in fp32 else None)
    if target is None:
        return args

    def cast(x: Any) -> Any:
        if isinstance(x, TensorProxy) and x.dtype.is_floating_point and x.dtype != target and x.dtype != torch.float64:
            return tr.record(_C.PrimId.convert_element_type, (x, target), {})[0]
        if isinstance(x, (list, tuple)):
            return type(x)(cast(e) for e in x)
        return x

    return tuple(cast(a) for a in args)


def _call(tr: Tracer, sid: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    args = _pack_sizes(sid, tuple(args))
    kwargs = {k: v for k, v in kwargs.items() if k not in DROP_KWARGS}
    if "size" in kwargs and sid in VARARG_SIZE and isinstance(kwargs["size"], int):
        kwargs["size"] = (kwargs["size"],)
    # `inplace=True` (F.relu(x, inplace=True)) is an in-place update: recorded functionally, then x rebound.
    inplace = kwargs.pop("inplace", False) is True
    args = _autocast(tr, sid, args)
    alias_src = args[0] if sid in VIEW_OPS and args and isinstance(args[0], TensorProxy) else None
    outs = tr.record(sid, args, kwargs, alias_of=alias_src)
    if inplace and args and isinstance(args[0], TensorProxy) and len(outs) == 1:
        return _rebind(tr, args[0], outs[0])
    if len(outs) == 1:
        return outs[0]
    if not outs:
        return None
    rt = _RETURN_TYPES.get(sid)
    return rt(tuple(outs)) if rt is not None else tuple(outs)


def _einsum(tr: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torch.einsum(eq, a, b) and torch.einsum(eq, [a, b]) are one symbol taking a tuple of operands."""
    eq, ops = args[0], args[1:]
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    return _call(tr, "torch.einsum", (eq, tuple(ops)), kwargs)


def _new_tensor(kind: str) -> Callable[..., Any]:
    """x.new_zeros(size) etc.: a fresh tensor with x's dtype and device unless given."""

    def make(tr: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self, rest = args[0], list(args[1:])
        kw = dict(kwargs)
        kw.setdefault("dtype", self.dtype)
        kw.setdefault("device", self.device)
        kw.pop("requires_grad", None)
        if kind == "full":
            size, fill = (rest[0], rest[1]) if len(rest) >= 2 else (kw.pop("size"), kw.pop("fill_value"))
            return _call(tr, "torch.full", (size, fill), kw)
        size = tuple(rest) if rest and all(isinstance(r, int) for r in rest) else (rest[0] if rest else kw.pop("size"))
        return _call(tr, f"torch.{kind}", (size,), kw)

    return make


def _rebind(tr: Tracer, target: Any, out: Any) -> Any:
    """An in-place update: the proxy object now stands for the new value (functionalization)."""
    if not isinstance(target, TensorProxy):
        return out
    if target.is_input:
        raise UnsupportedOpError(f"keraunos does not support updating an input or a parameter in place at {user_location()}")
    if len(target.alias) > 1:
        raise UnsupportedOpError(
            f"keraunos does not support updating in place a tensor that has views (the views would not see the update) at {user_location()}"
        )
    if out.dtype != target.dtype:
        out = tr.record(_C.PrimId.convert_element_type, (out, target.dtype), {})[0]
    target.ref = out.ref
    target.shape = out.shape
    return target


def _to(tr: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Tensor.to(dtype) / to(device) / to(device, dtype) / to(other) / to(dtype=..., device=...)."""
    self, rest = args[0], list(args[1:])
    device = kwargs.get("device")
    dtype = kwargs.get("dtype")
    for r in rest:
        if isinstance(r, torch.dtype):
            dtype = r
        elif isinstance(r, (torch.device, str)):
            device = torch.device(r)
        elif isinstance(r, TensorProxy):
            dtype, device = r.dtype, r.device
    kw = {}
    if device is not None:
        kw["device"] = torch.device(device)
    if dtype is not None:
        kw["dtype"] = dtype
    if "copy" in kwargs:
        kw["copy"] = kwargs["copy"]
    return _call(tr, "torch.Tensor.to", (self,), kw)


def _tensor_literal(tr: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torch.tensor(3.0) inside a traced program: a 0-d constant, recorded as prims.full."""
    data = args[0] if args else kwargs.get("data")
    if isinstance(data, TensorProxy):
        return _call(tr, "torch.clone", (data,), {})
    if not isinstance(data, (bool, int, float)):
        raise UnsupportedOpError(
            f"keraunos supports torch.tensor only for a Python number inside a traced program "
            f"(got {type(data).__name__}) at {user_location()}; pass the tensor as an input"
        )
    dtype = kwargs.get("dtype") or (
        torch.bool if isinstance(data, bool) else torch.int64 if isinstance(data, int) else torch.get_default_dtype()
    )
    device = torch.device(kwargs.get("device") or "cpu")
    return tr.record(_C.PrimId.full, ((), data), {"device": device, "dtype": dtype})[0]


_TABLE = None


def table() -> OpTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = OpTable()
    return _TABLE
