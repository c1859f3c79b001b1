"""Subsets of backbones and their names: the rows of Table 8."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

__all__ = ["subset_name", "subsets"]


def subsets(backbones: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty subset, by size, then in config order: M=1 rows, then pairs, ..."""
    if not backbones:
        raise ValueError("no backbones: a dataset needs at least one")
    if len(set(backbones)) != len(backbones):
        raise ValueError(f"backbones listed twice: {list(backbones)}")
    return [s for k in range(1, len(backbones) + 1) for s in itertools.combinations(backbones, k)]


def subset_name(subset: Sequence[str]) -> str:
    """`clip+metaclip`: member keys joined by `+` in config order."""
    return "+".join(subset)
