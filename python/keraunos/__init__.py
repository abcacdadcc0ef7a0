"""keraunos: a trace compiler for PyTorch programs (C++ core, thin Python front end).

    import keraunos
    fast = keraunos.jit(model)          # a function or an nn.Module
    y = fast(x)                         # same results as model(x)
    keraunos.last_traces(fast)          # the trace after each pass
    keraunos.placement(fast)            # which executor runs what, and why the others said no
    keraunos.cache_info(fast)           # hits, misses, plans, compile time per phase
    keraunos.explain(model, x)          # every unsupported op, and where it is called

    torch.compile(model, backend="keraunos")
"""

import torch  # noqa: F401  (the extension links libtorch; torch must load first)

from keraunos import _C  # noqa: F401
from keraunos._api import cache_info, explain, jit, last_traces, placement
from keraunos._tracer import UnsupportedOpError

KeraunosError = _C.KeraunosError

__all__ = ["jit", "explain", "last_traces", "placement", "cache_info", "UnsupportedOpError", "KeraunosError"]
__version__ = "0.1.0"


def _register_backend():
    try:
        from torch._dynamo import register_backend
        from torch._dynamo.backends.registry import _BACKENDS
    except Exception:  # torch without dynamo
        return
    if "keraunos" not in _BACKENDS:
        from keraunos._backend import keraunos_backend
        register_backend(name="keraunos")(keraunos_backend)


_register_backend()
