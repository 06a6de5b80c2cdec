"""Events and citations on the bundled data: what users read from ds.timeline() and ds.sources_of()."""

from __future__ import annotations

import pytest

import migration_deals as md


@pytest.fixture(scope="module")
def ds() -> md.Dataset:
    return md.load()


def test_every_kind_of_event_is_recorded(ds):
    kinds = set(ds.events["kind"].astype(str))
    for kind in (
        "court_ruling",
        "interim_measure",
        "legislation_passed",
        "suspension",
        "resumption",
        "renewal",
        "first_transfer",
        "transfer_cancelled",
        "facility_opened",
        "facility_closed",
        "policy_announcement",
    ):
        assert kind in kinds, kind


def test_the_rulings_that_shaped_the_deals_are_dated(ds):
    e = ds.events.set_index("event_id")
    uksc = e[(e["agreement_id"] == "gbr-rwa-2022-mou") & (e["body"] == "UK Supreme Court")]
    assert list(uksc["date"]) == ["2023-11-15"] and list(uksc["outcome"].astype(str)) == ["blocked_removal"]
    m70 = e[(e["agreement_id"] == "aus-mys-2011-arrangement") & (e["kind"] == "court_ruling")]
    assert list(m70["outcome"].astype(str)) == ["struck_down"]
    struck = ds.agreements.loc[ds.agreements["status"] == "struck_down", "agreement_id"]
    assert set(struck) <= set(e.loc[e["outcome"] == "struck_down", "agreement_id"])


def test_the_timeline_merges_milestones_events_and_transfers(ds):
    tl = ds.timeline()
    assert set(tl["from"]) == {"agreements", "events", "transfers"}
    assert list(tl.columns) == [
        "agreement_id",
        "date",
        "date_earliest",
        "date_latest",
        "what",
        "detail",
        "from",
        "row_id",
    ]
    for _, part in tl.groupby("agreement_id"):
        assert part["date_earliest"].is_monotonic_increasing
    one = ds.timeline("gbr-rwa-2024-voluntary")
    assert set(one["agreement_id"]) == {"gbr-rwa-2024-voluntary"}
    assert {"earliest_transfer", "latest_transfer"} <= set(one["what"])
    n = sum(ds.agreements[m].notna().sum() for m in ("announced", "signed", "in_force", "ended"))
    assert (tl["from"] == "agreements").sum() == n
    assert (tl["from"] == "events").sum() == ds.events["alternative_to"].isna().sum()


def test_sources_of_lists_every_citation_with_its_class(ds):
    cited = ds.sources_of("gbr-rwa-2022-mou")
    main = ds.agreements.set_index("agreement_id").loc["gbr-rwa-2022-mou", "source_id"]
    row = cited[(cited["resource"] == "agreements") & (cited["field"] == "*")]
    assert main in set(row.loc[row["role"] == "states", "source_id"])
    assert cited["url"].notna().all() and set(cited["class"].astype(str)) <= {
        "primary",
        "wire",
        "secondary",
        "aggregator",
    }
    transfers = set(ds.transfers.loc[ds.transfers["agreement_id"] == "gbr-rwa-2022-mou", "transfer_id"])
    assert transfers <= set(cited.loc[cited["resource"] == "transfers", "row_id"])
    with pytest.raises(KeyError):
        ds.sources_of("no-such-agreement")


def test_notes_hold_prose_only(ds):
    """Every source id once written in notes is a citation now."""
    ids = set(ds.sources["source_id"])
    for name in ("agreements", "transfers", "costs", "events"):
        notes = ds.frames[name]["notes"].dropna()
        words = {w.strip("().,;:") for note in notes for w in note.split()}
        assert not words & ids, (name, sorted(words & ids)[:5])


def test_coverage_counts_values_by_the_class_of_their_sources(ds):
    """Totals match a count made row by row: a value is one cited (row, field); it rests only on
    aggregators when every source stating or corroborating it is one, and is primary-backed when any is primary."""
    from migration_deals.coverage import coverage

    total = coverage()["totals"]
    klass = dict(zip(ds.sources["source_id"], ds.sources["class"].astype(str), strict=True))
    values: dict[tuple[str, str, str], list[str]] = {}
    for r in ds.citations.itertuples():
        if r.role in ("states", "corroborates"):
            values.setdefault((r.resource, r.row_id, r.field), []).append(klass[r.source_id])
    assert total["values"] == len(values)
    assert total["values_resting_only_on_aggregators"] == sum(set(v) == {"aggregator"} for v in values.values())
    assert total["values_stated_by_a_primary_source"] == sum("primary" in v for v in values.values())
    dated = set(ds.events["agreement_id"])
    for m in ("announced", "signed", "in_force", "ended"):
        dated |= set(ds.agreements.loc[ds.agreements[m].notna(), "agreement_id"])
    undated = ds.agreements[(ds.agreements["level"] == "agreement") & ~ds.agreements["agreement_id"].isin(dated)]
    assert total["without_dated_milestone_or_event"] == len(undated)


def test_a_suspension_lifted_the_same_day_leaves_the_status_alone(ds):
    """Flights to Qatar halted and resumed on 20 Aug 2021: the agreement stays in force, with no finding."""
    e = ds.events[ds.events["agreement_id"] == "usa-qat-2021-afghan-transit"]
    day = {str(k): str(d) for k, d in zip(e["kind"], e["date"], strict=True) if k in ("suspension", "resumption")}
    assert day == {"suspension": "2021-08-20", "resumption": "2021-08-20"}
    assert ds.agreements.set_index("agreement_id").loc["usa-qat-2021-afghan-transit", "status"] == "in_force"
    assert not [f for f in md.validate().findings if f.rule == "event-status"]
