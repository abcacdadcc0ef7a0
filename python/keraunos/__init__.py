"""keraunos: a trace compiler for PyTorch programs (C++ core, thin Python front end)."""

import torch  # noqa: F401  (the extension links libtorch; torch must load first)

from keraunos import _C  # noqa: F401

__all__ = ["_C"]
