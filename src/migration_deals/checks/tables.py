"""Tables: none is cut down to its header."""

from __future__ import annotations

from collections.abc import Callable

from ..report import Finding
from .context import Context


def empty_tables(ctx: Context) -> list[Finding]:
    """Every table has at least one row: a file cut down to its header would lose the data silently."""
    return [
        Finding(t.display, 1, None, "empty-table", "the table has a header but no rows", None, res)
        for res, t in ctx.tables.items()
        if len(t.text) == 0
    ]


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    empty_tables: ("empty-table",),
}
"""The rules of this family and the finding names each can report."""
