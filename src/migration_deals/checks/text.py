"""Text: no outer spaces, hidden characters or spreadsheet formulas."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..columns import per_distinct
from ..patterns import contains
from ..report import Finding
from .context import Context

_BAD_CHARS = r"[\x00-\x1f\x7f\x{200b}-\x{200f}\x{2028}-\x{202e}\x{2060}-\x{2069}\x{feff}]"
"""Control, zero-width and bidirectional characters, anywhere in a text (RE2 syntax)."""


_BAD_FIRST = re.compile(r"\s|[=+\-@]")


_BAD_LAST = re.compile(r"\s")


def _bad_text(values: pd.Index) -> np.ndarray:
    """Distinct texts with a control, zero-width or bidirectional character, an outer space (Python's
    Unicode whitespace) or a leading formula sign: one vectorised pass, then the few distinct first and
    last characters one by one."""
    import pyarrow.compute as pc

    from ..patterns import _arrow_text

    text = _arrow_text(values)
    bad = contains(values, _BAD_CHARS)
    for start, stop, rx in ((0, 1, _BAD_FIRST), (-1, None, _BAD_LAST)):
        edge = pc.dictionary_encode(pc.utf8_slice_codeunits(text, start, stop))
        flags = np.array([rx.match(c) is not None for c in edge.dictionary.to_pylist()], dtype=bool)
        bad |= flags[edge.indices.to_numpy(zero_copy_only=False)] if len(flags) else False
    return bad


def clean_text(ctx: Context) -> list[Finding]:
    """Text has no outer spaces, control, zero-width or bidirectional-override characters, and no spreadsheet
    formula prefix."""
    out: list[Finding] = []
    for res, t in ctx.tables.items():
        for f in t.schema.fields:
            if f.type != "string":
                continue
            bad = per_distinct(t.text[f.name], _bad_text)
            out += ctx.findings(
                res,
                bad,
                f.name,
                "text-hygiene",
                "remove spaces at either end, line breaks, control, zero-width or bidirectional characters, "
                "and a leading =, +, - or @ (spreadsheets run those as formulas)",
            )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    clean_text: ("text-hygiene",),
}
"""The rules of this family and the finding names each can report."""
