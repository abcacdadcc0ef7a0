"""keraunos: a trace compiler for PyTorch programs (C++ core, thin Python front end)."""

from keraunos import _C  # noqa: F401

__all__ = ["_C"]
