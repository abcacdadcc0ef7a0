"""Conformance entries: prims_other (filled in by its owner)."""

OPS = []
