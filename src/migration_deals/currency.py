"""Amounts in a common currency at the European Central Bank's reference rate for their date.

The rates come from `currencyconverter`, which ships the ECB's full history, so conversion
works offline and gives the same answer on every machine with the same version installed.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

EXTRA = "currency"
"""The optional dependency group that installs currencyconverter."""


@lru_cache(maxsize=1)
def _converter() -> Any:
    try:
        from currency_converter import CurrencyConverter
    except ImportError:
        raise ImportError(
            f"converting currencies needs currencyconverter: pip install 'migration-deals[{EXTRA}]'"
        ) from None
    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=False)


def currencies() -> set[str]:
    """ISO 4217 codes the ECB reference rates cover."""
    return set(_converter().currencies)


def rates(source: np.ndarray, on: np.ndarray, target: str) -> tuple[np.ndarray, list[date | None]]:
    """Rate from each source currency to `target` on each day, and the ECB day used.

    A day after the last published rate uses the last one (the day says so); a currency the ECB
    does not cover, or a day before its first rate, gives NaN and no day.
    """
    conv = _converter()
    if target not in conv.currencies:
        raise ValueError(f"{target!r} is not among the ECB reference currencies: {', '.join(sorted(conv.currencies))}")
    out = np.full(len(source), np.nan)
    used: list[date | None] = [None] * len(source)
    for i, (cur, day) in enumerate(zip(source, on, strict=True)):
        if cur not in conv.currencies or pd.isna(day):
            continue
        d = pd.Timestamp(day).date()
        first = max(conv.bounds[cur].first_date, conv.bounds[target].first_date)
        last = min(conv.bounds[cur].last_date, conv.bounds[target].last_date)
        if d < first:
            continue
        d = min(d, last)
        out[i] = 1.0 if cur == target else conv.convert(1.0, cur, target, date=d)
        used[i] = d
    return out, used
