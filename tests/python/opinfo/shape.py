"""Conformance entries: shape (filled in by its owner)."""

OPS = []
