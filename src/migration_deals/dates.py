"""Uncertain dates: the EDTF subset the data uses, and the intervals they stand for.

A date known only to the month (``2024-07``) stands for every day of that
month; ``~`` marks it approximate and ``?`` uncertain. We keep the string as
written and derive the earliest and latest day it can mean, so that partial
dates can be sorted, filtered and compared as intervals.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_EDTF = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?]?)")
DATE_UNIT = "datetime64[s]"
"""Unit of the derived datetime columns: seconds, so years before 1677 or after 2262 fit."""


class Interval(NamedTuple):
    earliest: date
    latest: date
    precision: str
    """'year', 'month' or 'day'."""
    qualifier: str
    """'' (as stated), '~' (approximate) or '?' (uncertain)."""


def parse(text: str) -> Interval | None:
    """The interval an EDTF-subset date stands for, or None if it is not a real calendar date."""
    m = _EDTF.fullmatch(text)
    if not m:
        return None
    year, month, day, qualifier = int(m[1]), m[2], m[3], m[4]
    try:
        if month is None:
            return Interval(date(year, 1, 1), date(year, 12, 31), "year", qualifier)
        mo = int(month)
        if day is None:
            last = calendar.monthrange(year, mo)[1]
            return Interval(date(year, mo, 1), date(year, mo, last), "month", qualifier)
        d = date(year, mo, int(day))
        return Interval(d, d, "day", qualifier)
    except ValueError:
        return None


def _intervals(texts: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earliest day, latest day and not-a-real-date flag for distinct strings (a list, or an Arrow string
    array): their shape and length found by Arrow in bulk, their days parsed by numpy in bulk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    array = texts if isinstance(texts, pa.Array) else pa.array(texts, type=pa.large_string())
    n = len(array)
    lo = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    hi = lo.copy()
    bad = np.ones(n, dtype=bool)
    if not n:
        return lo, hi, bad
    # the EDTF subset, digits ASCII only (a digit of another script is never a real date here)
    shaped = pc.match_substring_regex(array, r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?[~?]?$").fill_null(False)
    core = pc.replace_substring_regex(array, pattern=r"[~?]$", replacement="")
    length = pc.utf8_length(core).fill_null(0).to_numpy(zero_copy_only=False)
    shaped_ = shaped.to_numpy(zero_copy_only=False)
    for size, unit in ((4, "Y"), (7, "M"), (10, "D")):
        at = np.flatnonzero(shaped_ & (length == size))
        if not len(at):
            continue
        group = core.take(pa.array(at)).to_numpy(zero_copy_only=False)
        try:
            start = group.astype(f"datetime64[{unit}]")
        except ValueError:  # an impossible day somewhere: find it value by value
            start = np.array([_or_nat(g, unit) for g in group], dtype=f"datetime64[{unit}]")
        ok = ~np.isnat(start)
        bad[at[ok]] = False
        lo[at[ok]] = start[ok].astype("datetime64[D]")
        hi[at[ok]] = (start[ok] + 1).astype("datetime64[D]") - 1
    return lo, hi, bad


def _or_nat(text: str, unit: str) -> np.datetime64:
    import numpy as np

    try:
        return np.datetime64(text, unit)  # type: ignore[call-overload]
    except ValueError:
        return np.datetime64("NaT", unit)  # type: ignore[call-overload]


def bounds(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Earliest and latest day of each date in a column, and which values are not real dates.

    Distinct values are parsed once, in bulk, so a million rows with a few
    thousand distinct dates cost little more than the lookup. Missing values
    give NaT and are not flagged.
    """
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(values.cat.categories):
        import pyarrow as pa

        codes, uniques = values.array.codes, values.cat.categories
        text = pa.array(uniques.array, type=pa.large_string()) if len(uniques) else pa.array([], pa.large_string())
        missing = pa.compute.equal(text, "").fill_null(True).to_numpy(zero_copy_only=False)
        lo, hi, bad = _intervals(text)
    else:
        codes, uniq = pd.factorize(values.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)
        uniques = list(uniq)
        missing = np.array([not isinstance(u, str) or u == "" for u in uniques], dtype=bool)
        lo, hi, bad = _intervals([u if not m else "" for u, m in zip(uniques, missing, strict=False)])
    bad[missing] = False
    # one extra slot for missing values (code -1); the distinct days take the unit, then spread to the rows
    lo = np.append(lo, np.datetime64("NaT", "D")).astype(DATE_UNIT)
    hi = np.append(hi, np.datetime64("NaT", "D")).astype(DATE_UNIT)
    bad = np.append(bad, False)
    rows = np.where(codes < 0, len(uniques), codes)
    index = values.index
    return (
        pd.Series(lo[rows], index=index, copy=False),
        pd.Series(hi[rows], index=index, copy=False),
        pd.Series(bad[rows], index=index, copy=False),
    )


def bounds_of_columns(columns: list[pd.Series]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Earliest and latest days of several date columns at once (one bulk parse for a whole table)."""
    import numpy as np
    import pandas as pd

    if not columns:
        return {}
    stacked = pd.Series(np.concatenate([c.to_numpy(dtype=object, na_value=None) for c in columns]), dtype=object)
    lo, hi, _ = bounds(stacked)
    lo, hi = lo.to_numpy(), hi.to_numpy()
    out, start = {}, 0
    for c in columns:
        end = start + len(c)
        out[str(c.name)] = (lo[start:end], hi[start:end])
        start = end
    return out


def bounds_of_arrow(columns: list[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Earliest and latest days of Arrow string columns of checked dates (null where a cell is empty): the
    distinct values of all of them are parsed at once and spread back by their dictionary codes."""
    import numpy as np
    import pyarrow as pa

    encoded = [(c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c).dictionary_encode() for c in columns]
    texts = [t or "" for e in encoded for t in e.dictionary.to_pylist()]
    lo, hi, _ = _intervals(texts)
    lo = np.append(lo, np.datetime64("NaT", "D")).astype(DATE_UNIT)  # the last slot: empty cells
    hi = np.append(hi, np.datetime64("NaT", "D")).astype(DATE_UNIT)
    out, start = [], 0
    for e in encoded:
        codes = e.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        codes = np.where(codes < 0, len(texts), codes + start)
        out.append((lo[codes], hi[codes]))
        start += len(e.dictionary)
    return out


def with_bounds(
    typed: pd.DataFrame, schema: Any, known: Callable[[str], tuple[Any, Any]] | None = None
) -> pd.DataFrame:
    """The typed columns of a resource, each uncertain-date column followed by its earliest and latest day
    (`known` gives them for a column where they were already derived)."""
    import pandas as pd

    edtf = [f.name for f in schema.fields if f.edtf]
    if known is not None:
        intervals = {name: known(name) for name in edtf}
    else:
        intervals = bounds_of_columns([typed[name] for name in edtf])
    parts: dict[str, Any] = {}
    for f in schema.fields:
        parts[f.name] = typed[f.name]
        if f.edtf:
            parts[f"{f.name}_earliest"], parts[f"{f.name}_latest"] = intervals[f.name]
    return pd.DataFrame(parts, index=typed.index, copy=False)
