"""Alternatives: rows kept for a disagreeing source point at the preferred row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..report import Finding
from .context import Context, _has, _mask, _preferred, _texts, first_rows


def alternatives(ctx: Context) -> list[Finding]:
    """A row kept for a disagreeing source points at a preferred row of the same agreement and says why."""
    out: list[Finding] = []
    for res, key in (("transfers", "transfer_id"), ("costs", "cost_id"), ("events", "event_id")):
        if not _has(ctx, res):
            continue
        t = ctx.tables[res].text
        n = len(t)
        rows = np.flatnonzero((t["alternative_to"] != "").to_numpy())  # only these are looked at: most are preferred
        if not len(rows):
            continue
        target = first_rows(ctx.tables[res], key, "alternative_to")[rows]  # the row each points at, -1 if none
        found = target >= 0
        q = np.where(found, target, 0)
        agreement = t["agreement_id"].array.codes
        itself = _texts(t["alternative_to"], rows) == _texts(t[key], rows)
        out += ctx.findings(
            res,
            _mask(n, rows[itself]),
            "alternative_to",
            "alternative-self",
            "a row cannot be an alternative to itself",
        )
        out += ctx.findings(
            res,
            _mask(n, rows[found & (agreement[q] != agreement[rows])]),
            "alternative_to",
            "alternative-agreement",
            "the preferred row must be about the same agreement",
        )
        out += ctx.findings(
            res,
            _mask(n, rows[~itself & found & ~_preferred(ctx.tables[res])[q]]),
            "alternative_to",
            "alternative-chain",
            "point at the preferred row itself, not at another alternative",
        )
        no_reason = (t["notes"].iloc[rows] == "").to_numpy()
        out += ctx.findings(
            res, _mask(n, rows[no_reason]), "notes", "alternative-reason", "say in notes why the other row is preferred"
        )
    return out


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    alternatives: ("alternative-self", "alternative-agreement", "alternative-chain", "alternative-reason"),
}
"""The rules of this family and the finding names each can report."""
