"""Tracing Python programs: TensorProxy objects intercept torch functions, Tensor methods and
operators (through __torch_function__ and dunder methods) and record torch-level symbols into the
C++ trace through a TraceBuilder."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import torch

from keraunos import _C
from keraunos._ops import DUNDERS
from keraunos._proxies import (  # noqa: F401
    _DTYPE_NAMES,
    _DTYPES,
    NumberProxy,
    TensorProxy,
    UnsupportedOpError,
    _make_dunder,
    _state,
    current_tracer,
    user_location,
)

if TYPE_CHECKING:
    from keraunos._ops import OpTable

_PUBLIC_NAMES: dict = {}


def _public_names() -> dict:
    """id(function) -> the name users call it by (torch.fft.fft, torch.Tensor.pow, ...)."""
    if not _PUBLIC_NAMES:
        import torch.nn.functional as F

        spaces = [
            ("torch", torch),
            ("torch.nn.functional", F),
            ("torch.fft", torch.fft),
            ("torch.linalg", torch.linalg),
            ("torch.special", torch.special),
            ("torch.Tensor", torch.Tensor),
        ]
        for prefix, mod in spaces:
            for name in dir(mod):
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    continue
                try:
                    obj = getattr(mod, name)
                except Exception:
                    continue
                if callable(obj):
                    _PUBLIC_NAMES.setdefault(id(obj), f"{prefix}.{name}")
    return _PUBLIC_NAMES


def torch_name(func: Any) -> str:
    known = _public_names().get(id(func))
    if known is not None:
        return known
    mod: str = getattr(func, "__module__", None) or ""
    qual: str = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    if mod in ("torch._C._nn", "torch._C._linalg", "torch._C._special"):
        mod = {"torch._C._nn": "torch.nn.functional", "torch._C._linalg": "torch.linalg", "torch._C._special": "torch.special"}[mod]
    if qual.startswith("TensorBase.") or qual.startswith("_TensorBase."):
        qual = "Tensor." + qual.split(".", 1)[1]
    if mod.startswith("torch._C") or not mod:
        mod = "torch"
    return f"{mod}.{qual}" if not qual.startswith(mod) else qual


# TensorProxy's operators: every operator the op table declares (ops' Python facts), and indexing.
for _name in [*DUNDERS, "__getitem__", "__setitem__"]:
    setattr(TensorProxy, _name, _make_dunder(_name))


class Tracer:
    """Records one program. `explain` mode keeps going past unsupported ops (running them on meta
    tensors to learn their outputs) and lists them instead of raising."""

    def __init__(self, tb: Any, table: OpTable, explain: bool = False) -> None:
        self.tb = tb
        self.table = table
        self.explain = explain
        self.unsupported: list[tuple[str, str]] = []
        self.autocast: tuple[str, torch.dtype] | None = None  # (device_type, dtype) while autocast is on

    @contextlib.contextmanager
    def active(self) -> Iterator[Tracer]:
        prev = _state.tracer
        _state.tracer = self
        try:
            with _CreationMode(self):
                yield self
        finally:
            _state.tracer = prev

    # -- values ---------------------------------------------------------------------------------
    def proxy(self, ref: Any, alias: list[TensorProxy] | None = None) -> TensorProxy:
        return TensorProxy(self, ref, alias)

    def to_arg(self, x: Any) -> Any:
        if isinstance(x, (TensorProxy, NumberProxy)):
            return x.ref
        if isinstance(x, torch.Tensor):
            raise UnsupportedOpError(
                "keraunos: a tensor that is neither an input nor a parameter/buffer of the module was used (a captured "
                f"constant of shape {tuple(x.shape)}) at {user_location()}; pass it as an argument or register it as a buffer"
            )
        if isinstance(x, torch.dtype):
            return _C.DType(_DTYPE_NAMES[x])
        if isinstance(x, torch.device):
            return _C.Device(str(x) if x.type != "cuda" or x.index is not None else "cuda:0")
        if isinstance(x, torch.Size):
            return tuple(int(s) for s in x)
        if isinstance(x, _C.Proxy):
            return x
        if isinstance(x, (list, tuple)):
            return tuple(self.to_arg(e) for e in x)
        if x is Ellipsis:
            return "..."
        if isinstance(x, slice):
            return (self.to_arg(x.start), self.to_arg(x.stop), self.to_arg(x.step))
        if isinstance(x, torch.memory_format):
            return str(x)
        return x

    def wrap(self, refs: Iterable[Any], alias: list[TensorProxy] | None = None) -> list[TensorProxy]:
        outs = [self.proxy(r, alias) for r in refs]
        if alias is not None:
            alias.extend(outs)
        return outs

    # -- ops ------------------------------------------------------------------------------------
    def dispatch(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], prop: str | None = None) -> Any:
        entry = self.table.lookup(func, prop)
        if entry is None:
            return self.unsupported_op(func, args, kwargs)
        return entry(self, args, kwargs)

    def record(self, op_id: str, args: Iterable[Any], kwargs: dict[str, Any], alias_of: TensorProxy | None = None) -> list[TensorProxy]:
        a = [self.to_arg(x) for x in args]
        kw = {k: self.to_arg(v) for k, v in kwargs.items()}
        try:
            refs = self.tb.call(op_id, a, kw)
        except TypeError as e:
            raise TypeError(f"{e} (at {user_location()})") from None
        alias = alias_of.alias if isinstance(alias_of, TensorProxy) else None
        outs = self.wrap(refs, alias)
        return outs

    def unsupported_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = torch_name(func)
        where = user_location()
        if not self.explain:
            raise UnsupportedOpError(
                f"keraunos does not support {name} (called at {where}); keraunos.explain(fn, *args) lists every unsupported op at once"
            )
        self.unsupported.append((name, where))
        return self._run_on_meta(func, args, kwargs)

    def _run_on_meta(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        def to_meta(x: Any) -> Any:
            if isinstance(x, TensorProxy):
                return torch.empty(x.shape, dtype=x.dtype, device="meta")
            if isinstance(x, (list, tuple)):
                return type(x)(to_meta(e) for e in x)
            return x

        prev = _state.tracer
        _state.tracer = None
        try:
            out = func(*to_meta(args), **{k: to_meta(v) for k, v in kwargs.items()})
        finally:
            _state.tracer = prev

        def from_meta(x: Any) -> Any:
            if isinstance(x, torch.Tensor):
                ref = self.tb.add_input_tensor(list(x.shape), _DTYPE_NAMES[x.dtype], "cpu", False)
                return self.proxy(ref)
            if isinstance(x, (list, tuple)):
                return type(x)(from_meta(e) for e in x)
            return x

        return from_meta(out)


# Torch functions that make tensors from nothing (no proxy among their arguments) are recorded too,
# so torch.arange(T) inside a traced function becomes part of the program, not a captured constant.
CREATION_IDS = set(_C.creation_ops())


def _has_proxy(x: object) -> bool:
    if isinstance(x, (TensorProxy, NumberProxy)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_proxy(e) for e in x)
    if isinstance(x, dict):
        return any(_has_proxy(e) for e in x.values())
    return False


class _CreationMode(torch.overrides.TorchFunctionMode):
    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(
        self, func: Callable[..., Any], types: tuple[type, ...], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        if _has_proxy(args) or _has_proxy(kwargs):
            return self.tracer.dispatch(func, args, kwargs)
        sid = self.tracer.table.by_func.get(func)
        if sid in CREATION_IDS or func in (torch.tensor, torch.as_tensor, torch.scalar_tensor):
            return self.tracer.dispatch(func, args, kwargs)
        return func(*args, **kwargs)


def is_proxy(x: object) -> bool:
    return isinstance(x, TensorProxy)
