"""Text hygiene: the ASCII shortcut finds exactly what the full regular expression finds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from migration_deals.checks.text import _BAD_TEXT, _bad_text
from migration_deals.patterns import contains

_CHARS = st.sampled_from(
    [" ", "=", "+", "-", "@", "a", "Z", "0", "\t", "\x7f", "\u00a0", "\u200b", "\u202e", "é", "中"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(_CHARS, max_size=6), max_size=30, unique=True))
def test_shortcut_agrees_with_the_regular_expression(texts):
    values = pd.Index(texts, dtype="str")
    expected = contains(values, _BAD_TEXT) & np.asarray(values != "", dtype=bool)
    assert _bad_text(values).tolist() == np.asarray(expected, dtype=bool).tolist()
