"""Uncertain dates: our intervals agree with the reference EDTF implementation; impossible days are caught."""

from __future__ import annotations

import time
from datetime import date

import edtf
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from migration_deals.dates import bounds, bounds_of_arrow, parse

dates = st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31))
texts = st.builds(
    lambda d, cut, q: d.isoformat()[:cut] + q, dates, st.sampled_from([4, 7, 10]), st.sampled_from(["", "~", "?"])
)


@settings(deadline=None)  # correctness only: speed lives in benchmarks/
@given(st.lists(texts, min_size=1, max_size=20))
def test_intervals_match_the_edtf_library(values):
    lo, hi, bad = bounds(pd.Series(values, dtype=object))
    assert not bad.any()
    for text, a, b in zip(values, lo, hi, strict=False):
        ref = edtf.parse_edtf(text)
        assert a.strftime("%Y-%m-%d") == time.strftime("%Y-%m-%d", ref.lower_strict())
        assert b.strftime("%Y-%m-%d") == time.strftime("%Y-%m-%d", ref.upper_strict())
        single = parse(text)
        assert (single.earliest, single.latest) == (a.date(), b.date())


def test_impossible_and_malformed_dates_are_flagged():
    values = pd.Series(
        ["2023-02-29", "2024-02-29", "2024-13", "2024-00", "24-01-01", "2024-1-1", "", None], dtype=object
    )
    _, _, bad = bounds(values)
    assert bad.tolist() == [True, False, True, True, True, True, False, False]
    assert parse("2023-02-29") is None


def test_categorical_and_text_columns_agree():
    values = pd.Series(["2024", "2023-02-30", "2025-03~", ""], dtype=object)
    for a, b in zip(bounds(values), bounds(values.astype("category")), strict=False):
        pd.testing.assert_series_equal(a, b)


@settings(deadline=None)
@given(st.lists(st.lists(st.one_of(texts, st.none()), min_size=0, max_size=12), min_size=0, max_size=4))
def test_arrow_bounds_match_the_row_bounds(columns):
    """The released-file reader's bounds (several Arrow columns parsed at once) equal `bounds` column by column."""
    import numpy as np
    import pyarrow as pa

    got = bounds_of_arrow([pa.array(c, type=pa.string()) for c in columns])
    assert len(got) == len(columns)
    for column, (lo, hi) in zip(columns, got, strict=True):
        ref_lo, ref_hi, _ = bounds(pd.Series(column, dtype=object))
        assert np.array_equal(lo, ref_lo.to_numpy(), equal_nan=True)
        assert np.array_equal(hi, ref_hi.to_numpy(), equal_nan=True)
        assert lo.dtype == ref_lo.dtype
