"""Conformance entries: prims_reduction (filled in by its owner)."""

OPS = []
