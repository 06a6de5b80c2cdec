"""Uncertain dates: the EDTF subset the data uses, and the intervals they stand for.

A date known only to the month (``2024-07``) stands for every day of that
month; ``~`` marks it approximate and ``?`` uncertain. We keep the string as
written and derive the earliest and latest day it can mean, so that partial
dates can be sorted, filtered and compared as intervals.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
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


def bounds(values: "pd.Series") -> "tuple[pd.Series, pd.Series, pd.Series]":
    """Earliest and latest day of each date in a column, and which values are not real dates.

    Work is done once per distinct value, so a million rows with a few
    thousand distinct dates cost little more than the lookup.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lo = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    hi = lo.copy()
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, text in enumerate(uniques):
        iv = parse(str(text))
        if iv is None:
            bad[i] = True
        else:
            lo[i], hi[i] = iv.earliest, iv.latest
    idx = np.where(codes < 0, len(uniques), codes)
    index = values.index
    return (pd.Series(lo[idx].astype(DATE_UNIT), index=index),
            pd.Series(hi[idx].astype(DATE_UNIT), index=index),
            pd.Series(bad[idx], index=index))
