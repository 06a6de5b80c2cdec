"""What a figure can mean: its qualifier as bounds, and the rows it lies inside.

One place for the reading of a number that both the consistency rules and the
helpers (`people_moved`, `money`, `cost_per_person`) rely on, so that what the
validator accepts is exactly what the helpers add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

APPROXIMATELY = 0.1
"""An `approximately` figure stands for the interval value ± 10%."""

MAX_DEPTH = 32
"""Longest chain of `within` links followed; longer chains are reported as cycles."""


def interval(values: np.ndarray, qualifiers: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest value each figure can mean: exact v is [v, v], at_least [v, inf),
    at_most [0, v] and approximately v ± 10%. `qualifiers` may be text or a categorical column."""
    v = np.asarray(values, dtype=float)
    at_most, approx, at_least = (_is(qualifiers, q) for q in ("at_most", "approximately", "at_least"))
    low = np.where(at_most, 0.0, np.where(approx, v * (1 - APPROXIMATELY), v))
    high = np.where(at_least, np.inf, np.where(approx, v * (1 + APPROXIMATELY), v))
    return low, high


def _is(qualifiers: Any, label: str) -> np.ndarray:
    """Which cells hold `label`: on a categorical's codes (one comparison of integers), else cell by cell."""
    cat = getattr(qualifiers, "cat", None)
    if cat is not None:
        at = np.flatnonzero(np.asarray(cat.categories == label, dtype=bool))
        codes = cat.codes.to_numpy()
        return codes == at[0] if len(at) else np.zeros(len(codes), dtype=bool)
    return np.asarray(qualifiers, dtype=object) == label


def overlaps(low_a: np.ndarray, high_a: np.ndarray, low_b: np.ndarray, high_b: np.ndarray) -> np.ndarray:
    """Whether two figures can both be true (their intervals meet)."""
    return (low_a <= high_b) & (low_b <= high_a)


def ancestors(parent: Mapping[str, str]) -> dict[str, list[str]]:
    """Every row's chain of `within` parents, nearest first (a cycle stops the chain where it repeats)."""
    out: dict[str, list[str]] = {}
    for row in parent:
        chain: list[str] = []
        seen = {row}
        up = parent.get(row, "")
        while up and up not in seen and len(chain) < MAX_DEPTH:
            chain.append(up)
            seen.add(up)
            up = parent.get(up, "")
        out[row] = chain
    return out


def in_cycle(parent: Mapping[str, str]) -> set[str]:
    """Rows whose `within` chain comes back to themselves (or runs deeper than MAX_DEPTH)."""
    bad = set()
    for row in parent:
        up, steps = parent.get(row, ""), 0
        while up and steps <= MAX_DEPTH:
            if up == row:
                bad.add(row)
                break
            up, steps = parent.get(up, ""), steps + 1
        else:
            if up:
                bad.add(row)
    return bad
