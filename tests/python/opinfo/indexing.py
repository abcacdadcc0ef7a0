"""Conformance entries: indexing (filled in by its owner)."""

OPS = []
