"""Conformance entries: nn (filled in by its owner)."""

OPS = []
