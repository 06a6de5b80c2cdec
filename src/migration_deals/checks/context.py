"""What every consistency rule works on: the checked tables, cached date bounds, and how a rule reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..columns import codes_of as _codes
from ..columns import first_of_group, group_keys, positions
from ..dates import bounds
from ..figures import overlaps
from ..report import Finding, Severity
from ..tableschema import CheckedTable

MILESTONES = ("announced", "signed", "in_force", "ended")
TERMINAL = ("terminated", "struck_down", "abandoned")
FORECAST = ("committed", "estimated", "conditional")
PER_PERSON = ("person", "person_day", "person_month", "person_year", "family")
PER_TIME = ("day", "month", "year")
SERIES = ("agreement_id", "movement", "population", "nationalities", "voluntary")
LOWER_BOUND = ("exact", "at_least")
UPPER_BOUND = ("exact", "at_most")


@dataclass
class Context:
    tables: dict[str, CheckedTable]
    as_of: date
    _bounds: dict[tuple[str, str], tuple[pd.Series, pd.Series, pd.Series]] = field(default_factory=dict)
    _first_rows: dict[tuple[str, str, str], np.ndarray] = field(default_factory=dict)

    def bounds(self, resource: str, name: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Earliest day, latest day and not-a-real-date mask of a date column (cached)."""
        key = (resource, name)
        if key not in self._bounds:
            self._bounds[key] = bounds(self.tables[resource].text[name])  # an empty cell is missing there
        return self._bounds[key]

    def first_rows(self, resource: str, key: str, link: str) -> np.ndarray:
        """`first_rows` of a resource's link column (cached: several rules follow `within`)."""
        at = (resource, key, link)
        if at not in self._first_rows:
            self._first_rows[at] = first_rows(self.tables[resource], key, link)
        return self._first_rows[at]

    def findings(
        self,
        resource: str,
        mask: np.ndarray | pd.Series,
        field_: str | None,
        rule: str,
        message: Callable[[int], str] | str,
        severity: Severity = "error",
        value_field: str | None = None,
    ) -> list[Finding]:
        t = self.tables[resource]
        mask = np.asarray(mask, dtype=bool)
        out = []
        vf = value_field or field_
        for r in map(int, np.flatnonzero(mask)):
            value = t.text[vf].iat[r] if vf else None
            msg = message(r) if callable(message) else message
            out.append(Finding(t.display, t.line(r), field_, rule, msg, value, resource, severity))
        return out


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cell-by-cell equality of two text columns, compared on codes: each distinct value of `a` is looked up
    among those of `b` once, never a Python string per cell."""
    a_codes, a_values = _codes(a)
    b_codes, b_values = _codes(b)
    if not len(a_codes):
        return np.zeros(0, dtype=bool)
    at = positions(a_values, b_values)
    return (at[a_codes] == b_codes) & (a_codes >= 0)


def lookup(by_value: pd.Series, column: pd.Series) -> np.ndarray:
    """`by_value` (indexed by unique text) looked up for each cell of a text column, once per distinct value."""
    codes, values = _codes(column)
    found = by_value.reindex(values).to_numpy()
    return found[codes] if len(codes) else found[:0]


def first_rows(t: CheckedTable, key: str, link: str) -> np.ndarray:
    """For each row, the first row whose `key` equals its `link` cell (-1 if the cell is empty or no row has it)."""
    k_codes, k_values = _codes(t.text[key])
    l_codes, l_values = _codes(t.text[link])
    first = np.full(len(k_values), len(k_codes), dtype=np.intp)
    np.minimum.at(first, k_codes, np.arange(len(k_codes), dtype=np.intp))
    first[first == len(k_codes)] = -1
    where = positions(l_values, k_values)
    per_value = np.where(where >= 0, first[np.maximum(where, 0)] if len(first) else -1, -1)
    per_value[np.asarray(l_values == "", dtype=bool)] = -1
    return per_value[l_codes] if len(per_value) else np.full(len(l_codes), -1, dtype=np.intp)


def present(column: pd.Series) -> pd.Index:
    """The distinct values a text column holds."""
    codes, values = _codes(column)
    held = np.bincount(codes[codes >= 0], minlength=len(values)) > 0 if len(codes) else np.zeros(len(values), bool)
    return values[held]


def _isin(distinct: pd.Index, known: Any) -> np.ndarray:
    """Which distinct texts are in `known`: one hashed lookup in Arrow compute."""
    import pyarrow.compute as pc

    from ..patterns import _arrow_text

    if not len(distinct):
        return np.zeros(0, dtype=bool)
    known = list(known) if isinstance(known, (set, frozenset, dict)) else known
    found = pc.is_in(_arrow_text(distinct), value_set=_arrow_text(known))
    return found.to_numpy(zero_copy_only=False).astype(bool)


def member(values: Any, known: Any) -> np.ndarray:
    """Which values are in `known`, by hashing: linear in both (np.isin on text sorts or compares pairwise).
    A text column is tested once per distinct value."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes, distinct = _codes(values)
        hit = _isin(distinct, known)
        return hit[codes] if len(codes) else np.zeros(0, dtype=bool)
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False).isin(known).to_numpy()


def _has(ctx: Context, *names: str) -> bool:
    return all(n in ctx.tables for n in names)


def _before(ctx: Context, res: str, a: str, b: str) -> np.ndarray:
    """Rows where date b certainly lies before date a."""
    a_lo, _, _ = ctx.bounds(res, a)
    _, b_hi, _ = ctx.bounds(res, b)
    return (b_hi < a_lo).fillna(False).to_numpy()


def _texts(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The text of some rows of a categorical column (a rule that looks at a few rows needs no more)."""
    return np.asarray(column.cat.categories.take(column.array.codes[rows]), dtype=object)


def _mask(n: int, rows: np.ndarray) -> np.ndarray:
    """A mask of `n` rows, true at `rows` (a rule that looked at a few rows reports on all of them)."""
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def _preferred(t: CheckedTable) -> np.ndarray:
    return (t.text["alternative_to"] == "").to_numpy()


def _nested_in_same(ctx: Context, resource: str, key: str, columns: tuple[str, ...]) -> np.ndarray:
    """Rows inside a preferred parent that has the same values in `columns` (the parent counts them)."""
    t = ctx.tables[resource]
    parent = ctx.first_rows(resource, key, "within")
    known = parent >= 0
    if not known.any():
        return known
    p = np.where(known, parent, 0)
    same = known & _preferred(t)[p]
    for c in columns:
        codes = t.text[c].array.codes
        same &= codes[p] == codes
    return same


def _agreement_ancestors(ctx: Context) -> dict[str, set[str]]:
    """Each agreement with every agreement above it (programme_id and parent_agreement_id, followed up)."""
    if not _has(ctx, "agreements"):
        return {}
    t = ctx.tables["agreements"].text
    up: dict[str, set[str]] = {}
    for a, prog, parent in zip(t["agreement_id"], t["programme_id"], t["parent_agreement_id"], strict=True):
        up.setdefault(str(a), set()).update(x for x in (str(prog), str(parent)) if x)
    out = {}
    for a in up:
        seen, todo = {a}, list(up[a])
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo += up.get(x, ())
        out[a] = seen
    return out


def _parent_rows(ctx: Context, resource: str, key: str, link: str) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the row number its `link` column names (-1 if none or unknown), and whether it names one."""
    return ctx.first_rows(resource, key, link), (ctx.tables[resource].text[link] != "").to_numpy()


def _format_total(template: str, totals: dict[int, float] | np.ndarray, row: int) -> str:
    return template.format(totals[row])


def _key_codes(column: pd.Series) -> np.ndarray:
    """A key column as integers that are equal exactly where its cells are: codes as they are, text coded."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array.codes
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.to_numpy()
    return pd.factorize(column, use_na_sentinel=False)[0]


def _conflicts(
    ctx: Context,
    res: str,
    keys: pd.DataFrame,
    use: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    field_: str,
    rule: str,
    template: str,
) -> list[Finding]:
    """Rows whose interval misses that of the first row (in file order) with the same keys."""
    t = ctx.tables[res]
    rows = np.flatnonzero(use)
    if not len(rows):
        return []
    group = group_keys([_key_codes(keys[c])[rows] for c in keys.columns])
    first = rows[first_of_group(group)]  # rows ascend: the first row of a group is its smallest
    bad = ~overlaps(low[rows], high[rows], low[first], high[first]) & (first != rows)
    mask = np.zeros(len(t.text), bool)
    mask[rows[bad]] = True
    ref = dict(zip(rows[bad], first[bad], strict=True))
    return ctx.findings(
        res, mask, field_, rule, lambda r: template.format(line=t.line(ref[r]), value=t.text[field_].iat[ref[r]])
    )
