"""Tracing Python programs: TensorProxy objects intercept torch functions, Tensor methods and
operators (through __torch_function__ and dunder methods) and record torch-level symbols into the
C++ trace through a TraceBuilder."""

from __future__ import annotations

import builtins
import contextlib
import linecache
import os
import sys
import threading
from typing import Any, Callable

import torch

from keraunos import _C

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))

# keraunos' dtypes by torch's names for them (C++ knows the list).
_DTYPE_NAMES = {getattr(torch, name): name for name in _C.dtype_names()}
_DTYPES = {v: k for k, v in _DTYPE_NAMES.items()}


class UnsupportedOpError(NotImplementedError):
    """A torch function keraunos has no symbol for. Names the function and the user's line."""


def user_location() -> str:
    """file:line: source of the innermost frame outside keraunos and torch."""
    f = sys._getframe(1)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if not fn.startswith(_PKG_DIR) and not fn.startswith(_TORCH_DIR) and "<frozen" not in fn:
            src = linecache.getline(fn, f.f_lineno).strip()
            return f"{fn}:{f.f_lineno}" + (f": {src}" if src else "")
        f = f.f_back
    return "<unknown location>"


_PUBLIC_NAMES: dict = {}


def _public_names() -> dict:
    """id(function) -> the name users call it by (torch.fft.fft, torch.Tensor.pow, ...)."""
    if not _PUBLIC_NAMES:
        import torch.nn.functional as F
        spaces = [("torch", torch), ("torch.nn.functional", F), ("torch.fft", torch.fft), ("torch.linalg", torch.linalg),
                  ("torch.special", torch.special), ("torch.Tensor", torch.Tensor)]
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


def torch_name(func) -> str:
    known = _public_names().get(id(func))
    if known is not None:
        return known
    mod = getattr(func, "__module__", None) or ""
    qual = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    if mod in ("torch._C._nn", "torch._C._linalg", "torch._C._special"):
        mod = {"torch._C._nn": "torch.nn.functional", "torch._C._linalg": "torch.linalg",
               "torch._C._special": "torch.special"}[mod]
    if qual.startswith("TensorBase.") or qual.startswith("_TensorBase."):
        qual = "Tensor." + qual.split(".", 1)[1]
    if mod.startswith("torch._C") or not mod:
        mod = "torch"
    return f"{mod}.{qual}" if not qual.startswith(mod) else qual


class _State(threading.local):
    def __init__(self):
        self.tracer = None


_state = _State()


def current_tracer() -> "Tracer":
    t = _state.tracer
    if t is None:
        raise RuntimeError("keraunos: a proxy was used outside of tracing")
    return t


class TensorProxy:
    """A tensor while a program is traced: shape, dtype, device and requires_grad; no data."""

    __slots__ = ("ref", "shape", "dtype", "device", "requires_grad", "alias", "tracer", "is_input", "name", "__weakref__")

    def __init__(self, tracer: "Tracer", ref, alias=None):
        shape, dtype, device, requires_grad = tracer.tb.type_of(ref)
        self.ref = ref
        self.tracer = tracer
        self.name = tracer.tb.name_of(ref)
        # Static sizes are ints (a torch.Size); symbolic ones (dynamic=True) are NumberProxy objects.
        if all(isinstance(d, int) for d in shape):
            self.shape = torch.Size(shape)
        else:
            self.shape = tuple(d if isinstance(d, int) else NumberProxy(tracer, d) for d in shape)
        self.dtype = _DTYPES[dtype]
        self.device = torch.device(device)
        self.requires_grad = requires_grad
        # Values that share storage in eager PyTorch (views) share an alias group; in-place updates
        # are only safe on a tensor no view refers to.
        self.alias = alias if alias is not None else [self]
        self.is_input = False

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return current_tracer().dispatch(func, args, kwargs or {})

    # -- metadata -----------------------------------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    def dim(self):
        return len(self.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[dim]

    def numel(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    def nelement(self):
        return self.numel()

    def element_size(self):
        return torch.empty((), dtype=self.dtype).element_size()

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_contiguous(self, memory_format=torch.contiguous_format):
        return True

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def layout(self):
        return torch.strided

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        return f"<keraunos proxy {self.name}: {tuple(self.shape)} {self.dtype} {self.device}>"

    def __bool__(self):
        raise UnsupportedOpError(
            f"keraunos cannot branch on the value of a tensor (data-dependent control flow) at {user_location()}")

    def __int__(self):
        raise UnsupportedOpError(f"keraunos cannot convert a traced tensor to a Python number (int()) at {user_location()}")

    def __float__(self):
        raise UnsupportedOpError(f"keraunos cannot convert a traced tensor to a Python number (float()) at {user_location()}")

    def item(self):
        raise UnsupportedOpError(f"keraunos cannot read a traced tensor's value (Tensor.item) at {user_location()}")

    def tolist(self):
        raise UnsupportedOpError(f"keraunos cannot read a traced tensor's values (Tensor.tolist) at {user_location()}")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # Tensor properties with a fixed answer for a traced (dense, strided, autograd-free) tensor.
    _STATIC_PROPERTIES = {"is_nested": False, "is_sparse": False, "is_quantized": False, "is_meta": False,
                          "is_mkldnn": False, "is_mps": False, "is_xpu": False, "is_complex_": False, "grad": None,
                          "grad_fn": None, "names": None, "is_sparse_csr": False, "output_nr": 0}

    @property
    def data(self):
        return self

    @property
    def is_leaf(self):
        return self.is_input

    # Everything else a Tensor has: methods route through the op table.
    def __getattr__(self, name):
        if name in TensorProxy._STATIC_PROPERTIES:
            return TensorProxy._STATIC_PROPERTIES[name]
        attr = getattr(torch.Tensor, name, None)
        if attr is None:
            raise AttributeError(f"'Tensor' object has no attribute '{name}'")
        if not callable(attr) and name not in ("T", "mT", "H", "mH", "real", "imag"):
            raise UnsupportedOpError(f"keraunos does not support reading Tensor.{name} of a traced tensor at {user_location()}")
        if name in ("T", "mT", "H", "mH", "real", "imag"):
            return current_tracer().dispatch(attr.__get__ if hasattr(attr, "__get__") else attr, (self,), {}, prop=name)
        return _BoundMethod(self, attr)

    __hash__ = object.__hash__


class NumberProxy:
    """An int or float known only when the program runs (a symbolic size, or a number input with
    cache="symbolic values"). Arithmetic records prims; Python control flow on it is an error."""

    __slots__ = ("ref", "tracer", "kind")

    def __init__(self, tracer, ref):
        self.ref = ref
        self.tracer = tracer
        self.kind = tracer.tb.type_of(ref)[0]

    def _bin(self, prim, other, reverse=False):
        a, b = (other, self) if reverse else (self, other)
        out = self.tracer.tb.call(prim, [self.tracer.to_arg(a), self.tracer.to_arg(b)], {})
        return NumberProxy(self.tracer, out[0])

    def __add__(self, o): return self._bin(_C.PrimId.add, o) if not isinstance(o, TensorProxy) else NotImplemented
    def __radd__(self, o): return self._bin(_C.PrimId.add, o, True)
    def __sub__(self, o): return self._bin(_C.PrimId.sub, o) if not isinstance(o, TensorProxy) else NotImplemented
    def __rsub__(self, o): return self._bin(_C.PrimId.sub, o, True)
    def __mul__(self, o): return self._bin(_C.PrimId.mul, o) if not isinstance(o, TensorProxy) else NotImplemented
    def __rmul__(self, o): return self._bin(_C.PrimId.mul, o, True)
    def __truediv__(self, o): return self._bin(_C.PrimId.div, o) if not isinstance(o, TensorProxy) else NotImplemented
    def __rtruediv__(self, o): return self._bin(_C.PrimId.div, o, True)

    def __floordiv__(self, o):
        if self.kind == "int" and isinstance(o, int):
            return self._bin(_C.PrimId.div, o)  # sizes are non-negative: truncation is floor
        raise UnsupportedOpError(f"keraunos: // on a symbolic number is supported for sizes divided by an int, at {user_location()}")

    def __neg__(self):
        return NumberProxy(self.tracer, self.tracer.tb.call(_C.PrimId.neg, [self.ref], {})[0])

    def _data_dependent(self, *_):
        raise UnsupportedOpError(f"keraunos cannot use the value of a symbolic number in Python control flow at {user_location()}")

    __bool__ = __int__ = __float__ = __index__ = _data_dependent
    __lt__ = __le__ = __gt__ = __ge__ = _data_dependent

    def __eq__(self, o):
        if isinstance(o, NumberProxy) and o.ref == self.ref:
            return True
        return self._data_dependent()

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<keraunos {self.kind} {self.tracer.tb.name_of(self.ref) if self.tracer.tb else '?'}>"


class _BoundMethod:
    __slots__ = ("proxy", "func")

    def __init__(self, proxy, func):
        self.proxy = proxy
        self.func = func

    def __call__(self, *args, **kwargs):
        return current_tracer().dispatch(self.func, (self.proxy,) + args, kwargs)


def _make_dunder(name):
    def method(self, *args):
        return current_tracer().dispatch(getattr(torch.Tensor, name), (self,) + args, {})

    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
              "__neg__", "__pos__", "__abs__", "__invert__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__lshift__", "__rshift__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
              "__getitem__", "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__"):
    setattr(TensorProxy, _name, _make_dunder(_name))


class Tracer:
    """Records one program. `explain` mode keeps going past unsupported ops (running them on meta
    tensors to learn their outputs) and lists them instead of raising."""

    def __init__(self, tb, table, explain: bool = False):
        self.tb = tb
        self.table = table
        self.explain = explain
        self.unsupported: list[tuple[str, str]] = []
        self.autocast = None  # (device_type, dtype) while autocast is on

    @contextlib.contextmanager
    def active(self):
        prev = _state.tracer
        _state.tracer = self
        try:
            with _CreationMode(self):
                yield self
        finally:
            _state.tracer = prev

    # -- values ---------------------------------------------------------------------------------
    def proxy(self, ref, alias=None) -> TensorProxy:
        return TensorProxy(self, ref, alias)

    def to_arg(self, x):
        if isinstance(x, (TensorProxy, NumberProxy)):
            return x.ref
        if isinstance(x, torch.Tensor):
            raise UnsupportedOpError(
                "keraunos: a tensor that is neither an input nor a parameter/buffer of the module was used (a captured "
                f"constant of shape {tuple(x.shape)}) at {user_location()}; pass it as an argument or register it as a buffer")
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

    def wrap(self, refs, alias=None):
        outs = [self.proxy(r, alias) for r in refs]
        if alias is not None:
            alias.extend(outs)
        return outs

    # -- ops ------------------------------------------------------------------------------------
    def dispatch(self, func, args, kwargs, prop=None):
        entry = self.table.lookup(func, prop)
        if entry is None:
            return self.unsupported_op(func, args, kwargs)
        return entry(self, args, kwargs)

    def record(self, op_id: str, args, kwargs, alias_of=None):
        a = [self.to_arg(x) for x in args]
        kw = {k: self.to_arg(v) for k, v in kwargs.items()}
        try:
            refs = self.tb.call(op_id, a, kw)
        except TypeError as e:
            raise TypeError(f"{e} (at {user_location()})") from None
        alias = alias_of.alias if isinstance(alias_of, TensorProxy) else None
        outs = self.wrap(refs, alias)
        return outs

    def unsupported_op(self, func, args, kwargs):
        name = torch_name(func)
        where = user_location()
        if not self.explain:
            raise UnsupportedOpError(f"keraunos does not support {name} (called at {where}); "
                                     "keraunos.explain(fn, *args) lists every unsupported op at once")
        self.unsupported.append((name, where))
        return self._run_on_meta(func, args, kwargs)

    def _run_on_meta(self, func, args, kwargs):
        def to_meta(x):
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

        def from_meta(x):
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


def _has_proxy(x) -> bool:
    if isinstance(x, (TensorProxy, NumberProxy)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_proxy(e) for e in x)
    if isinstance(x, dict):
        return any(_has_proxy(e) for e in x.values())
    return False


class _CreationMode(torch.overrides.TorchFunctionMode):
    def __init__(self, tracer):
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _has_proxy(args) or _has_proxy(kwargs):
            return self.tracer.dispatch(func, args, kwargs)
        sid = self.tracer.table.by_func.get(func)
        if sid in CREATION_IDS or func in (torch.tensor, torch.as_tensor, torch.scalar_tensor):
            return self.tracer.dispatch(func, args, kwargs)
        return func(*args, **kwargs)


def is_proxy(x) -> bool:
    return isinstance(x, TensorProxy)
