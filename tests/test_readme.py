"""Every Python snippet in README.md and the docs runs as written."""

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page, least", [("README.md", 10), ("docs/aggregation.md", 8)])
def test_snippets(page, least):
    result = doctest.testfile(str(ROOT / page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= least
    assert result.failed == 0
