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
