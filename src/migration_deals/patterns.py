"""Schema patterns, compiled once and matched in linear time.

A `pattern` comes from the descriptor, which a pull request can change, so it is matched with RE2:
an engine without backtracking, whose time grows with the input's length only. A pattern RE2 cannot
compile (a back-reference, a look-around, a syntax error) is reported, never run by another engine.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


class PatternError(ValueError):
    """A pattern that cannot be matched safely; the message says why."""


MAX_PATTERN = 2_000
"""Longest pattern accepted, in characters."""


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """A compiled RE2 pattern (cached), or PatternError."""
    import re2

    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"is longer than {MAX_PATTERN} characters")
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(
            f"cannot be matched safely ({reason}); write a regular expression without back-references or look-arounds"
        ) from None


def fullmatch(pattern: str, value: str) -> bool:
    """Whether the whole value matches the (already checked) pattern."""
    return bool(value) and compile_pattern(pattern).fullmatch(value) is not None


def _arrow_text(values: Any) -> Any:
    """Distinct values (a pandas Index or a list of str) as an Arrow large-string array: the type pandas keeps
    its Arrow strings in, so a column read by Arrow is not cast on the way."""
    import pyarrow as pa

    array = getattr(values, "array", values)
    try:
        return pa.array(array, type=pa.large_string())
    except (TypeError, pa.ArrowInvalid):
        return pa.array([str(v) for v in values], type=pa.large_string())


def matches(values: Any, pattern: str) -> Any:
    """Whether each of `values` matches the whole (already checked) pattern: one vectorised RE2 pass in
    Arrow compute over the distinct values of a column, the same engine and syntax as `compile_pattern`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rx = compile_pattern(pattern)
    if not len(values):
        return np.zeros(0, dtype=bool)
    try:
        found = pc.match_substring_regex(_arrow_text(values), f"^(?:{pattern})$")
        return found.to_numpy(zero_copy_only=False).astype(bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # an RE2 build that reads the pattern otherwise
        return np.array([rx.fullmatch(str(v)) is not None for v in values], dtype=bool)
