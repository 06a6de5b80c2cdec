"""Text: no outer spaces, hidden characters or spreadsheet formulas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..columns import codes_of
from ..report import Finding
from .context import Context

_BAD_CHARS = r"[\x00-\x1f\x7f\x{200b}-\x{200f}\x{2028}-\x{202e}\x{2060}-\x{2069}\x{feff}]"
"""Control, zero-width and bidirectional characters, anywhere in a text (RE2 syntax)."""


def _space_class() -> str:
    """Python's white space (what `re` matches with \\s in text: str.isspace) as an RE2 character class."""
    spaces = [c for c in range(0x3001) if chr(c).isspace()]  # none lies beyond U+3000
    return "[" + "".join("\\x{" + hex(c)[2:] + "}" for c in spaces) + "]"


_SPACE = _space_class()
_BAD_TEXT = f"^{_SPACE}|{_SPACE}$|{_BAD_CHARS}|^[=+\\-@]"
"""An outer space, a control, zero-width or bidirectional character, or a leading formula sign (RE2)."""


def _bad_text(values: pd.Index) -> np.ndarray:
    """Distinct texts with a control, zero-width or bidirectional character, an outer space (Python's
    Unicode whitespace) or a leading formula sign.

    Texts of printable ASCII alone (most ids and codes) can only go wrong at their ends, which Arrow tests
    without a regular expression; the rest get one vectorised RE2 pass."""
    from ..patterns import _arrow_text

    if not len(values):
        return np.zeros(0, dtype=bool)
    return _bad_arrow_text(_arrow_text(values))


def _bad_arrow_text(text: Any) -> np.ndarray:
    """`_bad_text` of an Arrow string array (empty strings are never bad)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pc.ascii_is_printable(text).fill_null(True).to_numpy(zero_copy_only=False)
    first, last, filled = _end_bytes(text)
    bad = np.zeros(len(text), dtype=bool)
    bad[plain] = (np.isin(first, _ASCII_STARTS) | (last == ord(" ")))[plain]
    rest = np.flatnonzero(~plain)
    if len(rest):
        found = pc.match_substring_regex(text.take(pa.array(rest)), _BAD_TEXT)
        bad[rest] = found.to_numpy(zero_copy_only=False).astype(bool)
    return bad & filled


_ASCII_STARTS = np.frombuffer(b" =+-@", dtype=np.uint8)
"""The first bytes that make a printable ASCII text bad: a space or a formula sign."""


def _end_bytes(text: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first and last byte of each text of an Arrow string array, and which texts hold any byte (a
    missing one holds none), read from its offsets and bytes without a pass over the strings."""
    import pyarrow as pa

    wide = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
    _, offsets, data = text.buffers()
    at = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[text.offset : text.offset + len(text) + 1]
    start, stop = at[:-1].astype(np.int64), at[1:].astype(np.int64)
    filled = stop > start
    if text.null_count:
        filled &= text.is_valid().to_numpy(zero_copy_only=False)
    first = np.zeros(len(text), dtype=np.uint8)
    last = np.zeros(len(text), dtype=np.uint8)
    if data is not None and filled.any():
        raw = np.frombuffer(data, dtype=np.uint8)
        first[filled] = raw[start[filled]]
        last[filled] = raw[stop[filled] - 1]
    return first, last, filled


def clean_text(ctx: Context) -> list[Finding]:
    """Text has no outer spaces, control, zero-width or bidirectional-override characters, and no spreadsheet
    formula prefix."""
    import pyarrow as pa

    from ..patterns import _arrow_text

    # the distinct values of every text column of every table are checked together, in one Arrow pass
    columns = [(res, f.name) for res, t in ctx.tables.items() for f in t.schema.fields if f.type == "string"]
    coded = [codes_of(ctx.tables[res].text[name]) for res, name in columns]
    # large strings: the distinct texts of a whole package may pass the 2 GiB that Arrow's strings can index
    distinct = [_arrow_text(values) for _, values in coded]
    bad_values = _bad_arrow_text(pa.concat_arrays(distinct)) if distinct else np.zeros(0, dtype=bool)
    ends = np.cumsum([0] + [len(d) for d in distinct])
    out: list[Finding] = []
    for k, ((res, name), (codes, _)) in enumerate(zip(columns, coded, strict=True)):
        bad = bad_values[ends[k] : ends[k + 1]]
        if not bad.any():
            continue
        out += ctx.findings(
            res,
            (codes >= 0) & bad[np.maximum(codes, 0)],
            name,
            "text-hygiene",
            "remove spaces at either end, line breaks, control, zero-width or bidirectional characters, "
            "and a leading =, +, - or @ (spreadsheets run those as formulas)",
        )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    clean_text: ("text-hygiene",),
}
"""The rules of this family and the finding names each can report."""
