"""Citations: every row is stated by a source, and every source is cited."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..patterns import compile_pattern
from ..report import Finding
from .context import Context, _codes, _has, member, positions, present


def citations(ctx: Context) -> list[Finding]:
    """Every citation resolves (its resource, row and field exist); every row of agreements, transfers,
    costs and events has a citation that states it, and its source_id is cited as stating it."""
    if not _has(ctx, "citations"):
        return []
    c = ctx.tables["citations"].text
    res_codes, res_values = _codes(c["resource"])
    row_codes, row_values = _codes(c["row_id"])
    src_codes, src_values = _codes(c["source_id"])
    states = member(c["role"], ["states"])
    ok_row = np.zeros(len(c), dtype=bool)
    ok_field = np.zeros(len(c), dtype=bool)
    out: list[Finding] = []
    cited = ctx.tables["citations"].schema.field("resource").enum or ()  # the resources a citation may name
    for name in cited:
        if not _has(ctx, name):
            continue
        here = res_codes == (res_values.get_loc(name) if name in res_values else -2)
        t = ctx.tables[name]
        key = t.schema.primary_key[0]
        id_codes, id_values = _codes(t.text[key])
        # the ids looked up among the row_ids cited for this resource only: codes of row_id, or -1
        named_here = np.flatnonzero(np.bincount(row_codes[here], minlength=len(row_values)) > 0)
        at = positions(id_values, row_values[named_here])
        at = np.where(at >= 0, named_here[np.maximum(at, 0)], -1) if len(named_here) else np.full(len(at), -1)
        row_at = at[id_codes] if len(id_codes) else id_codes
        named = np.zeros(len(row_values), dtype=bool)
        named[row_at[row_at >= 0]] = True
        ok_row |= here & (named[row_codes] if len(row_codes) else False)
        ok_field |= here & member(c["field"], [*t.schema.names, "*"])
        stating = here & states
        stated_ids = np.bincount(row_codes[stating], minlength=len(row_values)) > 0
        out += ctx.findings(
            name,
            ~((row_at >= 0) & stated_ids[np.maximum(row_at, 0)]) if len(row_values) else np.ones(len(row_at), bool),
            key,
            "citation-missing",
            "no citation states this row's values; add one to citations.csv (role states)",
        )
        # codes into the citations' own row_id and source_id values
        own_codes, own_values = _codes(t.text["source_id"])
        src_at = positions(own_values, src_values)[own_codes] if len(own_codes) else own_codes
        stated = _pair_stated(row_at, src_at, row_codes[stating], src_codes[stating])
        out += ctx.findings(
            name,
            ~stated,
            "source_id",
            "citation-missing",
            "the row's source_id must also appear in citations.csv as stating it",
        )
    out += ctx.findings("citations", ~ok_row, "row_id", "citation-row", "no row of that resource has this id")
    out += ctx.findings(
        "citations",
        ok_row & ~ok_field,
        "field",
        "citation-field",
        "that resource has no such field (use * for the row)",
    )
    return out


def _pair_stated(
    rows: np.ndarray, sources: np.ndarray, cited_rows: np.ndarray, cited_sources: np.ndarray
) -> np.ndarray:
    """Whether each (row, source) pair of codes (-1: none) is among the cited pairs. Most rows are stated by
    one citation: its source is compared directly, and only rows that several citations state are hashed."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    span = int(max(rows.max(), cited_rows.max(initial=0), 0)) + 1
    times = np.bincount(cited_rows, minlength=span)
    source_of = np.full(span, -1, dtype=np.int64)
    source_of[cited_rows] = cited_sources  # exact where the row is cited once; the rest is looked at below
    at = np.maximum(rows, 0)
    out = (source_of[at] == sources) & (rows >= 0) & (sources >= 0)  # -1: no code, so never cited
    several = np.flatnonzero((times[at] > 1) & (rows >= 0))
    if len(several):
        width = np.int64(int(max(sources.max(), cited_sources.max(initial=-1))) + 2)
        pairs = rows[several].astype(np.int64) * width + sources[several]
        again = times[cited_rows] > 1  # the citations of those rows
        cited = cited_rows[again].astype(np.int64) * width + cited_sources[again]
        out[several] = pd.Series(pairs, copy=False).isin(cited).to_numpy()
    return out


_ID = r"[a-z0-9]+(?:-[a-z0-9]+)+"
"""A source id as written in prose (no id holds a line break, so notes joined by one never merge)."""


def sources_used(ctx: Context) -> list[Finding]:
    """Every source is cited by a row: as source_id, by id in notes, or as an agreement's text_url."""
    if not _has(ctx, "sources"):
        return []
    cited: set[str] = set()
    others = [t for res, t in ctx.tables.items() if res != "sources"]
    for t in others:  # citations.csv has a source_id column too
        if "source_id" in t.text:
            cited.update(present(t.text["source_id"]))
    src = ctx.tables["sources"].text
    ids = src["source_id"]
    if "agreements" in ctx.tables:
        texts = present(ctx.tables["agreements"].text["text_url"])
        cited.update(ids[src["url"].isin(texts)])
    if not ids.isin(cited).all():  # only then can an id written in prose make a difference
        for t in others:
            if "notes" in t.text:  # each distinct note once, in one pass
                cited.update(compile_pattern(_ID).findall("\n".join(t.text["notes"].cat.categories)))
    return ctx.findings(
        "sources", ~ids.isin(cited), "source_id", "unused-source", "no row cites this source; cite it or remove it"
    )


FINDINGS: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {
    citations: ("citation-missing", "citation-row", "citation-field"),
    sources_used: ("unused-source",),
}
"""The rules of this family and the finding names each can report."""
