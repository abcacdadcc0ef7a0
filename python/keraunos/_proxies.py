"""The objects a traced program sees instead of tensors and numbers: TensorProxy (shape, dtype,
device; its methods and operators record ops through the active Tracer) and NumberProxy (a number
known only when the program runs), with the error they raise for what cannot be traced."""

from __future__ import annotations

import linecache
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import torch

from keraunos import _C

if TYPE_CHECKING:
    from keraunos._tracer import Tracer

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))

# keraunos' dtypes by torch's names for them (C++ knows the list).
_DTYPE_NAMES = {getattr(torch, name): name for name in _C.dtype_names()}
_DTYPES = {v: k for k, v in _DTYPE_NAMES.items()}


class UnsupportedOpError(NotImplementedError):
    """A torch function keraunos has no symbol for. Names the function and the user's line."""


def user_location() -> str:
    """file:line: source of the innermost frame outside keraunos and torch."""
    f: types.FrameType | None = sys._getframe(1)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if not fn.startswith(_PKG_DIR) and not fn.startswith(_TORCH_DIR) and "<frozen" not in fn:
            src = linecache.getline(fn, f.f_lineno).strip()
            return f"{fn}:{f.f_lineno}" + (f": {src}" if src else "")
        f = f.f_back
    return "<unknown location>"


class _State(threading.local):
    def __init__(self) -> None:
        self.tracer: Tracer | None = None


_state = _State()


def current_tracer() -> Tracer:
    t = _state.tracer
    if t is None:
        raise RuntimeError("keraunos: a proxy was used outside of tracing")
    return t


class TensorProxy:
    """A tensor while a program is traced: shape, dtype, device and requires_grad; no data."""

    __slots__ = ("ref", "shape", "dtype", "device", "requires_grad", "alias", "tracer", "is_input", "name", "__weakref__")

    def __init__(self, tracer: Tracer, ref: Any, alias: list[TensorProxy] | None = None) -> None:
        shape, dtype, device, requires_grad = tracer.tb.type_of(ref)
        self.ref = ref
        self.tracer = tracer
        self.name = tracer.tb.name_of(ref)
        # Static sizes are ints (a torch.Size); symbolic ones (dynamic=True) are NumberProxy objects.
        self.shape: tuple[Any, ...]
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
    def __torch_function__(
        cls, func: Callable[..., Any], types: tuple[type, ...], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        return current_tracer().dispatch(func, args, kwargs or {})

    # -- metadata -----------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    def dim(self) -> int:
        return len(self.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[dim]

    def numel(self) -> Any:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def nelement(self) -> Any:
        return self.numel()

    def element_size(self) -> int:
        return torch.empty((), dtype=self.dtype).element_size()

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_contiguous(self, memory_format: torch.memory_format = torch.contiguous_format) -> bool:
        return True

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def layout(self) -> torch.layout:
        return torch.strided

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"<keraunos proxy {self.name}: {tuple(self.shape)} {self.dtype} {self.device}>"

    def __bool__(self) -> bool:
        raise UnsupportedOpError(f"keraunos cannot branch on the value of a tensor (data-dependent control flow) at {user_location()}")

    def __int__(self) -> int:
        raise UnsupportedOpError(f"keraunos cannot convert a traced tensor to a Python number (int()) at {user_location()}")

    def __float__(self) -> float:
        raise UnsupportedOpError(f"keraunos cannot convert a traced tensor to a Python number (float()) at {user_location()}")

    def item(self) -> NoReturn:
        raise UnsupportedOpError(f"keraunos cannot read a traced tensor's value (Tensor.item) at {user_location()}")

    def tolist(self) -> NoReturn:
        raise UnsupportedOpError(f"keraunos cannot read a traced tensor's values (Tensor.tolist) at {user_location()}")

    def __getitem__(self, key: Any) -> Any:  # replaced by the op table's indexing operator in _tracer
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    # Tensor properties with a fixed answer for a traced (dense, strided, autograd-free) tensor.
    _STATIC_PROPERTIES = {
        "is_nested": False,
        "is_sparse": False,
        "is_quantized": False,
        "is_meta": False,
        "is_mkldnn": False,
        "is_mps": False,
        "is_xpu": False,
        "is_complex_": False,
        "grad": None,
        "grad_fn": None,
        "names": None,
        "is_sparse_csr": False,
        "output_nr": 0,
    }

    @property
    def data(self) -> TensorProxy:
        return self

    @property
    def is_leaf(self) -> bool:
        return self.is_input

    # Everything else a Tensor has: methods route through the op table.
    def __getattr__(self, name: str) -> Any:
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

    def __init__(self, tracer: Tracer, ref: Any) -> None:
        self.ref = ref
        self.tracer = tracer
        self.kind = tracer.tb.type_of(ref)[0]

    def _bin(self, prim: Any, other: Any, reverse: bool = False) -> NumberProxy:
        a, b = (other, self) if reverse else (self, other)
        out = self.tracer.tb.call(prim, [self.tracer.to_arg(a), self.tracer.to_arg(b)], {})
        return NumberProxy(self.tracer, out[0])

    def __add__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.add, o) if not isinstance(o, TensorProxy) else NotImplemented

    def __radd__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.add, o, True)

    def __sub__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.sub, o) if not isinstance(o, TensorProxy) else NotImplemented

    def __rsub__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.sub, o, True)

    def __mul__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.mul, o) if not isinstance(o, TensorProxy) else NotImplemented

    def __rmul__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.mul, o, True)

    def __truediv__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.div, o) if not isinstance(o, TensorProxy) else NotImplemented

    def __rtruediv__(self, o: Any) -> NumberProxy:
        return self._bin(_C.PrimId.div, o, True)

    def __floordiv__(self, o: Any) -> NumberProxy:
        if self.kind == "int" and isinstance(o, int):
            return self._bin(_C.PrimId.div, o)  # sizes are non-negative: truncation is floor
        raise UnsupportedOpError(f"keraunos: // on a symbolic number is supported for sizes divided by an int, at {user_location()}")

    def __neg__(self) -> NumberProxy:
        return NumberProxy(self.tracer, self.tracer.tb.call(_C.PrimId.neg, [self.ref], {})[0])

    def _data_dependent(self, *_: Any) -> NoReturn:
        raise UnsupportedOpError(f"keraunos cannot use the value of a symbolic number in Python control flow at {user_location()}")

    __bool__ = __int__ = __float__ = __index__ = _data_dependent
    __lt__ = __le__ = __gt__ = __ge__ = _data_dependent

    def __eq__(self, o: object) -> bool:
        if isinstance(o, NumberProxy) and o.ref == self.ref:
            return True
        return self._data_dependent()

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<keraunos {self.kind} {self.tracer.tb.name_of(self.ref) if self.tracer.tb else '?'}>"


class _BoundMethod:
    __slots__ = ("proxy", "func")

    def __init__(self, proxy: TensorProxy, func: Callable[..., Any]) -> None:
        self.proxy = proxy
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return current_tracer().dispatch(self.func, (self.proxy,) + args, kwargs)


def _make_dunder(name: str) -> Callable[..., Any]:
    def method(self: TensorProxy, *args: Any) -> Any:
        return current_tracer().dispatch(getattr(torch.Tensor, name), (self,) + args, {})

    method.__name__ = name
    return method
