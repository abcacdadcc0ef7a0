"""Conformance entries: reduction (filled in by its owner)."""

OPS = []
