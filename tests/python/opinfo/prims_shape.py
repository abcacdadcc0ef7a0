"""Conformance entries: prims_shape (filled in by its owner)."""

OPS = []
