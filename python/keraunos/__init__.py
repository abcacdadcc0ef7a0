"""keraunos: a trace compiler for PyTorch programs (C++ core, thin Python front end).

import keraunos
fast = keraunos.jit(model)          # a function or an nn.Module
y = fast(x)                         # same results as model(x)
keraunos.last_traces(fast)          # the trace after each pass
keraunos.placement(fast)            # which executor runs what, and why the others said no
keraunos.cache_info(fast)           # hits, misses, plans, compile time per phase
keraunos.explain(model, x)          # every unsupported op, and where it is called
keraunos.host_pool_info()           # the pool that large kernel outputs come from

torch.compile(model, backend="keraunos")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch  # noqa: F401  (the extension links libtorch; torch must load first)

from keraunos import _C as _C  # the extension (explicitly re-exported)
from keraunos._api import cache_info, empty_cache, executors, explain, host_pool_info, jit, last_traces, placement, set_host_pool_limit
from keraunos._proxies import UnsupportedOpError

if TYPE_CHECKING:
    import importlib.machinery
    from collections.abc import Sequence
    from types import ModuleType

KeraunosError = _C.KeraunosError

__all__ = [
    "jit",
    "executors",
    "explain",
    "last_traces",
    "placement",
    "cache_info",
    "host_pool_info",
    "set_host_pool_limit",
    "empty_cache",
    "UnsupportedOpError",
    "KeraunosError",
]
__version__ = "0.1.0"


def _register_backend_now() -> None:
    from torch._dynamo import register_backend
    from torch._dynamo.backends.registry import _COMPILER_FNS

    if "keraunos" not in _COMPILER_FNS:
        from keraunos._backend import keraunos_backend

        register_backend(name="keraunos")(keraunos_backend)


def _register_backend() -> None:
    """Registers backend="keraunos" with Dynamo without importing Dynamo (which costs most of a
    second): now if it is already loaded, else right after torch.compile first imports it."""
    import importlib.abc
    import importlib.machinery
    import sys

    if "torch._dynamo" in sys.modules:
        _register_backend_now()
        return

    class _AfterDynamoImport(importlib.abc.MetaPathFinder):
        def find_spec(
            self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
        ) -> importlib.machinery.ModuleSpec | None:
            if name != "torch._dynamo":
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_then_register(module: ModuleType) -> None:
                exec_module(module)
                _register_backend_now()

            spec.loader.exec_module = exec_then_register  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _AfterDynamoImport())


_register_backend()
