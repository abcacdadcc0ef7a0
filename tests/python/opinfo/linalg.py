"""Conformance entries: linalg (filled in by its owner)."""

OPS = []
