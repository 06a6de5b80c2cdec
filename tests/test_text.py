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
