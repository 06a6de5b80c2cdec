"""Text hygiene: the ASCII shortcut finds exactly what the full regular expression finds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from migration_deals.checks.text import _BAD_TEXT, _bad_text

_CHARS = st.sampled_from(
    [" ", "=", "+", "-", "@", "a", "Z", "0", "\t", "\x7f", "\u00a0", "\u200b", "\u202e", "é", "中"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=6), max_size=30, unique=True))
def test_shortcut_agrees_with_the_regular_expression(texts):
    values = pd.Index(texts, dtype="str")
    regex = pc.match_substring_regex(pa.array(list(texts), pa.large_string()), _BAD_TEXT).to_numpy(zero_copy_only=False)
    expected = regex.astype(bool) & np.asarray(values != "", dtype=bool)
    assert _bad_text(values).tolist() == np.asarray(expected, dtype=bool).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=6), max_size=30), st.integers(0, 5), st.booleans())
def test_end_bytes_are_read_right_from_any_arrow_string_array(texts, skip, large):
    """The first and last bytes come from the array's own offsets: small or large strings, a slice, a null."""
    from migration_deals.checks.text import _bad_arrow_text

    whole = pa.array([*texts, None], pa.large_string() if large else pa.string())
    part = whole.slice(min(skip, len(texts)))
    expected = [bool(t) and pc.match_substring_regex(pa.array([t]), _BAD_TEXT)[0].as_py() for t in part.to_pylist()]
    assert _bad_arrow_text(part).tolist() == expected
