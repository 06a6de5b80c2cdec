"""Reading a resource's CSV as text, and turning text columns into typed ones.

The same parsers serve the loader (typed values) and the validator (which
values do not parse), so the two can never disagree about what is valid.
Work is done once per distinct value: columns of codes and dates have few.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dates import DATE_UNIT, bounds
from .report import Finding
from .schema import Field, Schema

TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]?INF")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RawTable:
    """A CSV file as strings: nothing parsed, nothing lost. Empty cells are ''."""

    def __init__(self, frame: pd.DataFrame, header: list[str], lines: np.ndarray, cells: np.ndarray) -> None:
        self.frame = frame
        self.header = header
        self.lines = lines
        """Physical line number of each data row (the header is line 1)."""
        self.cells = cells
        """Number of cells in each data row as written (pandas pads short rows, so we count)."""


def read_bytes(path: Path, display: str, resource: str) -> tuple[bytes | None, list[Finding]]:
    """A resource file's bytes, or the finding that says why it cannot be read."""
    try:
        return path.read_bytes(), []
    except FileNotFoundError:
        message = "the descriptor names this file, but it does not exist"
    except OSError as e:
        message = f"the file cannot be read ({e.strerror})"
    return None, [Finding(display, None, None, "missing-file", message, resource=resource)]


def read_raw(data: bytes, display: str, resource: str) -> tuple[RawTable | None, list[Finding]]:
    """Parse a CSV file's bytes once, as text; report what stops it being read at all."""

    def fail(rule: str, message: str, line: int | None = None) -> tuple[None, list[Finding]]:
        return None, [Finding(display, line, None, rule, message, resource=resource)]

    findings: list[Finding] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        findings.append(
            Finding(
                display,
                1,
                None,
                "bom",
                "the file starts with a byte-order mark; save it as UTF-8 without BOM",
                resource=resource,
                severity="warning",
            )
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return fail(
            "encoding-error",
            f"the file is not UTF-8: byte 0x{data[e.start]:02x} cannot be decoded; save it as UTF-8",
            data.count(b"\n", 0, e.start) + 1,
        )
    if not text.strip():
        return fail("blank-header", "the file is empty: it needs at least a header row", 1)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            header=None,
            encoding="utf-8",
            dtype="category",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            return fail(
                "extra-cell",
                f"row has {m[3]} cells but the header has {m[1]}; quote cells that contain commas",
                int(m[2]),
            )
        return fail("csv-error", f"the file is not valid CSV: {e}")
    except (pd.errors.EmptyDataError, ValueError) as e:
        return fail("csv-error", f"the file is not valid CSV: {e}")
    header = [str(v) for v in frame.iloc[0].tolist()]
    body = frame.iloc[1:].reset_index(drop=True)
    for i in body.columns:  # the header's labels are not values of the column
        body[i] = body[i].cat.remove_unused_categories()
    body.columns = range(body.shape[1])
    n = len(body)
    lines, cells = _shape(data, n)
    return RawTable(body, header, lines, cells), findings


def _shape(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Physical line and cell count of each data row, in one vectorised pass over the bytes.

    A comma or line break counts only outside quotes: where the number of quote
    characters before it is even (an escaped quote adds two, keeping the parity).
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(arr == 10)
    ends, commas = breaks, np.flatnonzero(arr == 44)
    if b'"' in data:
        quotes = np.flatnonzero(arr == 34)
        ends = ends[(np.searchsorted(quotes, ends) & 1) == 0]
        commas = commas[(np.searchsorted(quotes, commas) & 1) == 0]
    if len(arr) and arr[-1] != 10:
        ends = np.append(ends, len(arr))
    starts = np.concatenate([[0], ends[:-1] + 1])
    per_record = np.bincount(np.searchsorted(ends, commas), minlength=len(ends))
    length = ends - starts - (arr[np.maximum(ends - 1, 0)] == 13)
    cells = np.where(length > 0, per_record + 1, 0)
    lines = np.searchsorted(breaks, starts) + 1
    return lines[1 : n + 1], cells[1 : n + 1]


def per_unique(values: pd.Series, func: Callable[[str], Any], dtype: Any = object) -> np.ndarray:
    """Apply `func` to each distinct value of a text column and spread the results back."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    out = np.array([func(u) for u in uniques], dtype=dtype)
    return out[codes] if len(out) else np.zeros(len(codes), dtype=dtype)


def _bool(text: str) -> Any:
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return None


def parse(field: Field, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Typed column for a field, and a mask of present values that do not parse as its type.

    `text` holds '' for missing cells. A value that does not parse is missing in
    the typed column and True in the mask; the loader refuses such data.
    """
    present = text != ""
    index = text.index
    if field.type == "integer":
        ok = per_unique(text, lambda s: s == "" or _INTEGER.fullmatch(s) is not None, bool)
        values = pd.to_numeric(text.astype(object).where(ok & present.to_numpy(), None), errors="coerce")
        return values.astype("Int64"), pd.Series(~ok, index=index)
    if field.type == "number":
        ok = per_unique(text, lambda s: s == "" or _NUMBER.fullmatch(s) is not None, bool)
        clean = (
            text.astype(object)
            .where(ok & present.to_numpy(), None)
            .replace({"INF": "inf", "+INF": "inf", "-INF": "-inf"})
        )
        return pd.to_numeric(clean, errors="coerce").astype("Float64"), pd.Series(~ok, index=index)
    if field.type == "boolean":
        parsed = per_unique(text, _bool)
        bad = present.to_numpy() & pd.isna(parsed)
        return pd.Series(parsed, index=index).astype("boolean"), pd.Series(bad, index=index)
    if field.type == "date":
        ok = per_unique(text, lambda s: s == "" or _DATE.fullmatch(s) is not None, bool)
        lo, _, bad = bounds(text.astype(object).where(present & ok, None))
        bad = (bad & present) | ~pd.Series(ok, index=index)
        return lo.astype(DATE_UNIT), bad
    if field.enum is not None:
        known = text.isin(field.enum)
        bad = present & ~known
        cat = pd.Categorical(text.astype(object).where(known, None), categories=list(field.enum))
        return pd.Series(cat, index=index), bad
    return text.astype(object).where(present, None).astype("string"), pd.Series(False, index=index)


def labels_to_columns(raw: RawTable, schema: Schema) -> dict[str, int]:
    """Position of each schema field in the file's header (fields missing from it are left out)."""
    pos: dict[str, int] = {}
    for i, name in enumerate(raw.header):
        pos.setdefault(name, i)
    return {f.name: pos[f.name] for f in schema.fields if f.name in pos}


def _categorical(column: pd.Series) -> pd.Categorical:
    values = pd.Categorical(column)
    if values.isna().any():
        values = values.add_categories([""]) if "" not in values.categories else values
        values = values.fillna("")
    return values


def text_columns(raw: RawTable, schema: Schema) -> pd.DataFrame:
    """The file's cells under the schema's field names ('' when empty), as categoricals.

    Each column is factorised once; comparisons, lookups and per-value checks
    then work on small integer codes and the distinct values.
    """
    cols = labels_to_columns(raw, schema)
    data = {name: _categorical(raw.frame[i]) for name, i in cols.items()}
    return pd.DataFrame(data, index=raw.frame.index)
