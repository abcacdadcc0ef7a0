"""Conformance entries: creation (filled in by its owner)."""

OPS = []
