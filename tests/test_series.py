"""Running totals: the all-series-at-once search gives what a loop over each series and row gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from migration_deals.checks.counts import _prior_totals

_ROW = st.tuples(st.integers(0, 3), st.integers(-5, 5), st.one_of(st.none(), st.integers(0, 50)))


def _rows(rows: list[tuple[int, int, int | None]]) -> dict[str, np.ndarray]:
    series, day, lower = zip(*rows, strict=True) if rows else ((), (), ())
    return {
        "series": np.array(series, dtype=np.int64),
        "hi": np.array(day, dtype=np.int64) * 86400,
        "lo": np.array(day, dtype=np.int64) * 86400,
        "lower": np.array([np.nan if v is None else v for v in lower], dtype=float),
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROW, max_size=25), st.lists(_ROW, max_size=10))
def test_prior_totals_match_a_loop(prior_rows, later_rows):
    prior, later = _rows(prior_rows), _rows(later_rows)
    got_sum = _prior_totals(prior, later, "sum")
    got_max = _prior_totals(prior, later, "max")
    for k in range(len(later["series"])):
        same = prior["series"] == later["series"][k]
        lower = prior["lower"]
        on_or_before = same & (prior["hi"] <= later["lo"][k])
        strictly_before = same & (prior["hi"] < later["lo"][k])
        assert got_sum[k] == np.nansum(lower[on_or_before])
        expected_max = np.max(np.nan_to_num(lower[strictly_before], nan=-np.inf), initial=-np.inf)
        assert got_max[k] == expected_max
