"""Layer 1 of validation: what a Table Schema says (labels, types, constraints, keys).

These checks must agree with stock frictionless; a differential test holds
them to it. They run on whole columns, once per distinct value where it helps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import (
    RawTable,
    blank_values,
    codes_of,
    duplicated,
    group_keys,
    is_empty,
    out_of_range,
    parse,
    per_distinct,
    positions,
    text_columns,
)
from .patterns import matches
from .report import Finding
from .schema import Field, Schema

_TYPE_HINTS = {
    "integer": "write a whole number such as 42",
    "number": "write a number such as 1500000 or 0.5, without thousands separators or currency signs",
    "boolean": "write true or false",
    "date": "write a calendar date as YYYY-MM-DD",
}
EDTF_HINT = "write a date as YYYY, YYYY-MM or YYYY-MM-DD, optionally followed by ~ (approximate) or ? (uncertain)"


class TypedColumns:
    """The typed columns of a checked table by field name. A text field's pandas strings are made only when
    first asked for (by the loader): the checks need its codes, never a string per cell."""

    def __init__(self, schema: Schema, text: pd.DataFrame, made: dict[str, pd.Series]) -> None:
        self._schema, self._text, self._made = schema, text, made

    @property
    def index(self) -> pd.Index:
        return self._text.index

    def __contains__(self, name: object) -> bool:
        return name in self._text

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._made:
            self._made[name] = parse(self._schema.field(name), self._text[name])[0]
        if self._made[name].name != name:
            self._made[name] = self._made[name].rename(name)
        return self._made[name]


@dataclass
class CheckedTable:
    """A resource after layer 1: its text, its typed values, and where each row stands in the file."""

    resource: str
    display: str
    schema: Schema
    text: pd.DataFrame
    typed: TypedColumns
    lines: np.ndarray

    def line(self, row: int) -> int:
        return int(self.lines[row])


def _cells(
    table_display: str,
    resource: str,
    lines: np.ndarray,
    text: pd.Series,
    mask: np.ndarray,
    field: str,
    rule: str,
    message: str | None = None,
    message_for=None,
) -> list[Finding]:
    rows = np.flatnonzero(mask)
    out = []
    for r in rows:
        value = text.iat[r]
        msg = message_for(r, value) if message_for else (message or rule)
        out.append(Finding(table_display, int(lines[r]), field, rule, msg, value, resource))
    return out


def check_table(raw: RawTable, schema: Schema, display: str) -> tuple[CheckedTable | None, list[Finding]]:
    """Check labels, row shapes, cell types and constraints, and the primary key of one resource."""
    res = schema.resource
    findings: list[Finding] = []
    header = raw.header
    names = schema.names
    missing = [n for n in names if n not in header]
    for i, label in enumerate(header):
        if label == "":
            findings.append(Finding(display, 1, None, "blank-label", f"column {i + 1} has no name", None, res))
        elif label not in names:
            findings.append(
                Finding(
                    display,
                    1,
                    label,
                    "extra-label",
                    f"column {label!r} is not in the {res} schema; remove it or add it to the schema",
                    label,
                    res,
                )
            )
        elif header.index(label) != i:
            findings.append(
                Finding(display, 1, label, "duplicate-label", f"column {label!r} appears twice", label, res)
            )
    for n in missing:
        findings.append(
            Finding(
                display,
                1,
                n,
                "missing-label",
                f"column {n!r} is missing from the header; the {res} schema requires every field",
                None,
                res,
            )
        )
    if findings:
        return None, findings
    if header != names:
        findings.append(
            Finding(
                display,
                1,
                None,
                "incorrect-label",
                f"columns must be in schema order: {', '.join(names)}",
                ",".join(header),
                res,
            )
        )
        return None, findings

    lines = raw.lines
    # Row shapes: blank rows and short rows (pandas pads them, so the cells were counted on reading).
    blank = raw.cells == 0
    for r in np.flatnonzero(blank):
        findings.append(Finding(display, int(lines[r]), None, "blank-row", "the row is empty; delete it", None, res))
    short = (raw.cells < len(names)) & ~blank
    for r in np.flatnonzero(short):
        for c in range(raw.cells[r], len(names)):
            findings.append(
                Finding(
                    display,
                    int(lines[r]),
                    names[c],
                    "missing-cell",
                    f"the row has fewer cells than the header; {names[c]!r} is missing",
                    None,
                    res,
                )
            )
    text = text_columns(raw, schema)
    skip = blank  # short rows are padded with empty cells and checked like frictionless does

    typed: dict[str, pd.Series] = {}
    for f in schema.fields:
        col = text[f.name]
        if f.type == "string" and f.enum is None:  # any text is a string: nothing to parse
            values, bad = None, np.zeros(len(col), dtype=bool)
        else:
            values, parsed_bad = parse(f, col)
            typed[f.name], bad = values, parsed_bad.to_numpy()
        findings += _field_findings(f, col, values, skip, bad, display, res, lines)
    typed_frame = TypedColumns(schema, text, typed)

    if schema.primary_key:
        key = text[list(schema.primary_key)]
        dup = duplicated([text[k] for k in schema.primary_key]) & ~skip
        if dup.any():
            first = _first_lines(key, lines)
            f0 = schema.primary_key[0]
            label = ", ".join(schema.primary_key)
            findings += _cells(
                display,
                res,
                lines,
                text[f0],
                dup,
                f0,
                "primary-key",
                message_for=lambda r, v: f"{label} {v!r} is already used on line {first[r]}; keys must be unique",
            )
    return CheckedTable(res, display, schema, text, typed_frame, lines), findings


def _first_lines(key: pd.DataFrame, lines: np.ndarray) -> np.ndarray:
    groups = group_keys([codes_of(key[c])[0] for c in key.columns])
    return pd.Series(lines).groupby(groups).transform("first").to_numpy()


def _field_findings(
    f: Field,
    col: pd.Series,
    values: pd.Series | None,
    skip: np.ndarray,
    bad: np.ndarray,
    display: str,
    res: str,
    lines: np.ndarray,
) -> list[Finding]:
    out: list[Finding] = []
    empty = is_empty(col)
    present = ~empty & ~skip
    bad = bad & present
    cells = lambda mask, rule, msg=None, fn=None: _cells(display, res, lines, col, mask, f.name, rule, msg, fn)  # noqa: E731
    if f.required:
        out += cells(empty & ~skip, "required", f"{f.name} is required; it may not be empty")
    if f.enum is not None:
        out += cells(bad, "enum", f"must be one of: {', '.join(f.enum)}")
        return out
    if f.type != "string":
        out += cells(bad, "type-error", f"is not a valid {f.type}: {_TYPE_HINTS[f.type]}")
    if f.type in ("integer", "number"):  # this dataset is stricter than the Table Schema here
        wide = out_of_range(f, col) & present
        rule, why = (
            ("out-of-range", "is an integer beyond 64 bits, which this dataset cannot hold")
            if f.type == "integer"
            else ("non-finite", "is not a finite number (NaN, INF or too large); amounts and counts must be finite")
        )
        out += cells(wide, rule, why)
        bad = bad | wide
    ok = present & ~bad
    if f.pattern is not None and f.type == "string":
        # RE2 (linear time, checked when the descriptor was read) over the distinct values at once
        pattern = f.pattern
        match = per_distinct(col, lambda u: matches(u, pattern) | blank_values(u))
        out += cells(ok & ~match, "pattern", EDTF_HINT if f.edtf else f"must match the pattern {f.pattern}")
    if f.type in ("integer", "number") and values is not None:
        num = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if f.minimum is not None:
                out += cells(ok & (num < f.minimum), "minimum", f"must be at least {f.minimum}")
            if f.exclusive_minimum is not None:
                out += cells(
                    ok & (num <= f.exclusive_minimum),
                    "exclusive-minimum",
                    f"must be greater than {f.exclusive_minimum}",
                )
            if f.maximum is not None:
                out += cells(ok & (num > f.maximum), "maximum", f"must be at most {f.maximum}")
    if f.unique:
        codes = col.array.codes if isinstance(col.dtype, pd.CategoricalDtype) else pd.factorize(col)[0]
        dup = pd.Series(np.where(present, codes, -1)).duplicated(keep="first").to_numpy() & present
        out += cells(dup, "unique", f"{f.name} must be unique; this value is used on an earlier line")
    return out


def check_foreign_keys(tables: dict[str, CheckedTable]) -> list[Finding]:
    """Every reference points at an existing row of the referenced resource."""
    out: list[Finding] = []
    for t in tables.values():
        for fk in t.schema.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            if len(fk.fields) == 1:
                values = t.text[fk.fields[0]]
                present = ~is_empty(values)
                codes, distinct = codes_of(values)
                t_codes, t_distinct = codes_of(target.text[fk.reference_fields[0]])
                held = t_distinct[np.bincount(t_codes, minlength=len(t_distinct)) > 0]
                found = positions(distinct, held) >= 0  # each distinct value looked up once
                dangling = present & ~found[codes] if len(codes) else present
            else:
                vals = t.text[list(fk.fields)].astype(str).agg("\x1f".join, axis=1)
                present = (t.text[list(fk.fields)] != "").all(axis=1).to_numpy()
                known = target.text[list(fk.reference_fields)].astype(str).agg("\x1f".join, axis=1)
                dangling = present & ~vals.isin(known).to_numpy()
                values = vals
            name = fk.fields[0]
            ref = f"{fk.resource}.{','.join(fk.reference_fields)}"
            out += _cells(
                t.display,
                t.resource,
                t.lines,
                values,
                dangling,
                name,
                "foreign-key",
                message_for=lambda r, v, ref=ref: f"{v!r} is not a {ref}; add that row first or fix the reference",
            )
    return out
