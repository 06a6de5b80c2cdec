"""Layer 2 of validation: consistency rules that a Table Schema cannot say, one module per family of rules.

Each rule is a small function over whole columns, and each module declares the findings its rules can
report (`FINDINGS`). `RULES` lists every rule in the order the codebook documents them. Partial dates are
compared as intervals: a rule fires only when the order is wrong for every day the dates can mean.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..report import Finding
from ..tableschema import CheckedTable
from ..threads import map_in_order
from . import alternatives, citations, codes, counts, dates, events, links, money, tables, text
from .context import Context

_FAMILIES = (codes, dates, tables, links, counts, money, events, citations, alternatives, text)
_DECLARED = {rule: names for family in _FAMILIES for rule, names in family.FINDINGS.items()}
ORDER: tuple[Callable[[Context], list[Finding]], ...] = (
    codes.codes,
    dates.real_dates,
    dates.date_limits,
    tables.empty_tables,
    dates.milestone_order,
    dates.status_dates,
    links.party_pairs,
    links.parent_agreement,
    dates.periods,
    dates.within_agreement,
    counts.cumulative_series,
    counts.capacity,
    links.programmes,
    links.nesting,
    money.stages,
    counts.figure_conflicts,
    events.events,
    citations.citations,
    alternatives.alternatives,
    citations.sources_used,
    text.clean_text,
)
"""Every consistency rule, in the order the codebook lists them."""

RULES: dict[Callable[[Context], list[Finding]], tuple[str, ...]] = {rule: _DECLARED[rule] for rule in ORDER}
"""Every consistency rule, in the order the codebook lists them, with the finding names it can report."""


PARALLEL_ROWS = 50_000
"""Rows from which the rules run on a small pool of threads: their work is in Arrow and numpy, which let go
of the interpreter, so two rules can run at once. A smaller package is checked on the calling thread."""


def check(tables: dict[str, CheckedTable], as_of: date, ctx: Context | None = None) -> list[Finding]:
    """Run every consistency rule on tables that passed layer 1. A `ctx` given for those tables keeps what
    the rules derived (the date bounds), so that `load` builds its frames without parsing dates again.
    Findings come in the order of `RULES`, however the rules were scheduled."""
    ctx = ctx if ctx is not None else Context(tables, as_of)
    found = map_in_order(lambda rule: _run(rule, ctx), RULES, parallel=many_rows(tables))
    return [f for part in found for f in part]


def many_rows(tables: dict[str, CheckedTable]) -> bool:
    """Whether the tables hold enough rows (`PARALLEL_ROWS`) for work on them to be spread over threads."""
    return sum(len(t.lines) for t in tables.values()) >= PARALLEL_ROWS


def _run(rule: Callable[[Context], list[Finding]], ctx: Context) -> list[Finding]:
    """One rule's findings; a rule that cannot run on this package's schema is reported, never raised."""
    try:
        return rule(ctx)
    except KeyError as e:
        return [
            Finding(
                "datapackage.json",
                None,
                str(e.args[0]),
                "rule-skipped",
                f"rule {rule.__name__} needs field {e.args[0]!r}, which this package's schema lacks",
                severity="warning",
            )
        ]
    except Exception as e:  # noqa: BLE001 (a report, never a traceback, whatever the input)
        return [
            Finding(
                "datapackage.json",
                None,
                None,
                "rule-failed",
                f"rule {rule.__name__} could not run on this package ({type(e).__name__}); "
                "check the schema against the codebook",
            )
        ]
