"""Property tests: every generated valid dataset passes; every single fault is caught at the right place."""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import datasets, write_package

import migration_deals as md

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def found(report) -> list[tuple]:
    return sorted((Path(f.path).name, f.line, f.field, f.rule, f.severity) for f in report.findings)


@SETTINGS
@given(datasets())
def test_valid_datasets_pass(tables):
    with tempfile.TemporaryDirectory() as tmp:
        report = md.validate(write_package(Path(tmp), tables))
    assert found(report) == []


@SETTINGS
@given(datasets())
def test_load_roundtrip_is_byte_identical(tables):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_package(Path(tmp) / "a", tables)
        ds = md.load(path)
        out = ds.save(Path(tmp) / "b")
        for name in tables:
            assert (path.parent / f"{name}.csv").read_bytes() == (out.parent / f"{name}.csv").read_bytes()


def line_of(tables, resource, index) -> int:
    return index + 2 if index >= 0 else len(tables[resource]) + 1


def mut_agreement(tables, **over) -> dict:
    """Append an agreement the mutation controls: signed 2001-01-01, in force, no end."""
    a = tables["parties"][0]["party_id"], tables["parties"][1]["party_id"]
    row = dict(
        tables["agreements"][0],
        agreement_id="zz-mut",
        sending_party=a[0],
        receiving_party=a[1],
        status="in_force",
        announced="",
        signed="2001-01-01",
        in_force="",
        ended="",
        end_reason="",
        parent_agreement_id="",
        programme_id="",
        level="agreement",
        capacity_people="",
        capacity_basis="",
        capacity_scope="",
        text_url="",
        notes="",
        source_id="src-0",
    )
    row.update(over)
    tables["agreements"].append(row)
    return row


def mut_transfer(tables, i, **over) -> int:
    row = {
        "transfer_id": f"zz-t{i}",
        "agreement_id": "zz-mut",
        "period_start": "",
        "period_end": "2001-06-01",
        "measure": "cumulative",
        "people": "10",
        "qualifier": "exact",
        "movement": "transferred",
        "population": "refugees",
        "nationalities": "AFG",
        "voluntary": "forced",
        "within": "",
        "alternative_to": "",
        "source_id": "src-0",
        "notes": "",
    }
    row.update(over)
    tables["transfers"].append(row)
    return len(tables["transfers"]) + 1


def mut_cost(tables, **over) -> int:
    payer, payee = tables["parties"][0]["party_id"], tables["parties"][1]["party_id"]
    row = {
        "cost_id": "zz-c",
        "agreement_id": "zz-mut",
        "payer": payer,
        "payee": payee,
        "period_start": "2001-02-01",
        "period_end": "2001-02-01",
        "amount": "100",
        "currency": "USD",
        "qualifier": "exact",
        "measure": "event",
        "unit": "",
        "status": "paid",
        "form": "grant",
        "category": "direct_payment",
        "within": "",
        "stage_of": "",
        "alternative_to": "",
        "source_id": "src-0",
        "notes": "",
    }
    row.update(over)
    tables["costs"].append(row)
    return len(tables["costs"]) + 1


def set_cell(tables, resource, index, field, value) -> tuple:
    tables[resource][index][field] = value
    return (f"{resource}.csv", line_of(tables, resource, index), field)


# Each mutation changes a valid dataset in one place and returns what must be found:
# (file, line, field, rule, severity).
def m_dangling_fk(t):
    # the row's citation (written from its source_id) dangles too
    return [
        set_cell(t, "agreements", 0, "source_id", "no-such-source") + ("foreign-key", "error"),
        ("citations.csv", 2, "source_id", "foreign-key", "error"),
    ]


def m_duplicate_key(t):
    t["parties"].append(dict(t["parties"][0]))
    return [("parties.csv", len(t["parties"]) + 1, "party_id", "primary-key", "error")]


def m_required(t):
    return [set_cell(t, "parties", 0, "name", "") + ("required", "error")]


def m_enum(t):
    return [set_cell(t, "agreements", 0, "kind", "swap") + ("enum", "error")]


def m_pattern(t):
    return [set_cell(t, "sources", 0, "url", "ftp://insecure.example") + ("pattern", "error")]


def m_edtf_pattern(t):
    return [set_cell(t, "agreements", 0, "signed", "22/04/2024") + ("pattern", "error")]


def m_type(t):
    return [set_cell(t, "agreements", 0, "capacity_people", "many") + ("type-error", "error")]


def m_minimum(t):
    mut_agreement(t)
    return [("transfers.csv", mut_transfer(t, 0, people="-3"), "people", "minimum", "error")]


def m_amount_zero(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, amount="0"), "amount", "exclusive-minimum", "error")]


def m_boolean(t):
    return [set_cell(t, "agreements", 0, "legally_binding", "yes") + ("type-error", "error")]


def m_accessed(t):
    return [set_cell(t, "sources", 0, "accessed", "2024-13-01") + ("type-error", "error")]


def m_currency(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, currency="QQQ"), "currency", "currency-code", "error")]


def m_party_code(t):
    t["parties"].append({"party_id": "QQQ", "name": "Nowhere", "kind": "state"})
    return [("parties.csv", len(t["parties"]) + 1, "party_id", "party-code", "error")]


def m_language(t):
    return [set_cell(t, "sources", 0, "language", "qq") + ("language-code", "error")]


def m_nationality(t):
    mut_agreement(t)
    return [
        ("transfers.csv", mut_transfer(t, 0, nationalities="AFG;QQQ"), "nationalities", "nationality-code", "error")
    ]


def m_impossible_date(t):
    return [set_cell(t, "agreements", 0, "announced", "2023-02-30") + ("date-invalid", "error")]


def m_future(t):
    return [set_cell(t, "sources", 0, "published", "2030-01") + ("future-date", "error")]


def m_future_payment(t):
    mut_agreement(t)
    line = mut_cost(t, period_start="2030", period_end="2030")
    return [
        ("costs.csv", line, "period_end", "future-date", "error"),
        ("costs.csv", line, "period_start", "future-date", "error"),
    ]


def m_date_order(t):
    mut_agreement(t, in_force="2000-06")
    return [("agreements.csv", len(t["agreements"]) + 1, "in_force", "date-order", "error")]


def m_status_dates(t):
    mut_agreement(t, status="terminated")
    return [("agreements.csv", len(t["agreements"]) + 1, "ended", "status-dates", "error")]


def m_same_party(t):
    row = mut_agreement(t)
    row["receiving_party"] = row["sending_party"]
    return [("agreements.csv", len(t["agreements"]) + 1, "receiving_party", "same-party", "error")]


def m_payer_payee(t):
    mut_agreement(t)
    line = mut_cost(t)
    t["costs"][-1]["payee"] = t["costs"][-1]["payer"]
    return [("costs.csv", line, "payee", "same-party", "error")]


def m_payee_missing(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, payee=""), "payee", "payee-missing", "error")]


def m_self_parent(t):
    mut_agreement(t, parent_agreement_id="zz-mut")
    return [("agreements.csv", len(t["agreements"]) + 1, "parent_agreement_id", "self-parent", "error")]


def m_period_order(t):
    mut_agreement(t)
    return [
        (
            "transfers.csv",
            mut_transfer(t, 0, measure="event", period_start="2001-05", period_end="2001-04"),
            "period_end",
            "period-order",
            "error",
        )
    ]


def m_event_period(t):
    mut_agreement(t)
    return [("transfers.csv", mut_transfer(t, 0, measure="event"), "period_start", "event-period", "error")]


def m_rate_unit(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, measure="rate"), "unit", "rate-unit", "error")]


def m_recurring_unit(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, measure="recurring", unit="person"), "unit", "rate-unit", "error")]


def m_unit_on_amount(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, unit="year"), "unit", "rate-unit", "error")]


def m_receiving_party(t):
    mut_agreement(t, receiving_party="")
    return [("agreements.csv", len(t["agreements"]) + 1, "receiving_party", "receiving-party", "error")]


def m_programme_member(t):
    mut_agreement(t, programme_id=t["agreements"][0]["agreement_id"])
    return [("agreements.csv", len(t["agreements"]) + 1, "programme_id", "programme-member", "error")]


def m_programme_empty(t):
    mut_agreement(t, level="programme", receiving_party="")
    return [("agreements.csv", len(t["agreements"]) + 1, "level", "programme-empty", "warning")]


def m_within_self(t):
    mut_agreement(t)
    return [("transfers.csv", mut_transfer(t, 0, within="zz-t0"), "within", "within-self", "error")]


def m_within_cycle(t):
    mut_agreement(t)
    a = mut_transfer(t, 0, within="zz-t1", people="1")
    b = mut_transfer(t, 1, within="zz-t0", people="1")
    return [
        ("transfers.csv", a, "within", "within-cycle", "error"),
        ("transfers.csv", b, "within", "within-cycle", "error"),
    ]


def m_within_agreement(t):
    mut_agreement(t)
    mut_agreement(t, agreement_id="zz-mut-b")
    mut_transfer(t, 0, people="20")
    return [
        (
            "transfers.csv",
            mut_transfer(t, 1, agreement_id="zz-mut-b", within="zz-t0", people="5"),
            "within",
            "within-agreement",
            "error",
        )
    ]


def m_within_measure(t):
    mut_agreement(t)
    mut_transfer(t, 0, people="20")
    return [
        (
            "transfers.csv",
            mut_transfer(t, 1, measure="stock", within="zz-t0", people="5", nationalities="SYR"),
            "within",
            "within-measure",
            "error",
        )
    ]


def m_within_period(t):
    mut_agreement(t)
    mut_transfer(t, 0, people="20")
    line = mut_transfer(
        t,
        1,
        measure="event",
        period_start="2001-07-01",
        period_end="2001-07-01",
        within="zz-t0",
        people="5",
        nationalities="SYR",
    )
    return [("transfers.csv", line, "period_end", "within-period", "error")]


def m_within_exceeds(t):
    mut_agreement(t)
    mut_transfer(t, 0, people="20")
    mut_transfer(
        t,
        1,
        measure="event",
        period_start="2001-03-01",
        period_end="2001-03-01",
        within="zz-t0",
        people="15",
        nationalities="SYR",
    )
    mut_transfer(
        t,
        2,
        measure="event",
        period_start="2001-04-01",
        period_end="2001-04-01",
        within="zz-t0",
        people="15",
        nationalities="IRQ",
    )
    return [("transfers.csv", len(t["transfers"]) - 1, "people", "within-exceeds", "error")]


def m_cost_within_exceeds(t):
    mut_agreement(t)
    parent = mut_cost(t, amount="100", category="total")
    mut_cost(t, cost_id="zz-c1", amount="80", within="zz-c")
    mut_cost(t, cost_id="zz-c2", amount="30", within="zz-c", category="operations")
    return [("costs.csv", parent, "amount", "within-exceeds", "error")]


def m_stage_self(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, stage_of="zz-c"), "stage_of", "stage-self", "error")]


def m_stage_chain(t):
    mut_agreement(t)
    mut_cost(t, status="committed")
    mut_cost(t, cost_id="zz-c1", stage_of="zz-c")
    return [
        (
            "costs.csv",
            mut_cost(t, cost_id="zz-c2", stage_of="zz-c1", period_start="2001-03-01", period_end="2001-03-01"),
            "stage_of",
            "stage-chain",
            "error",
        )
    ]


def m_stage_agreement(t):
    mut_agreement(t)
    mut_agreement(t, agreement_id="zz-mut-b")
    mut_cost(t, status="committed")
    return [
        (
            "costs.csv",
            mut_cost(t, cost_id="zz-c1", agreement_id="zz-mut-b", stage_of="zz-c"),
            "stage_of",
            "stage-agreement",
            "error",
        )
    ]


def m_stage_currency(t):
    mut_agreement(t)
    mut_cost(t, status="committed")
    return [
        (
            "costs.csv",
            mut_cost(t, cost_id="zz-c1", currency="EUR", stage_of="zz-c"),
            "currency",
            "stage-currency",
            "error",
        )
    ]


def m_stage_conflict(t):
    mut_agreement(t)
    mut_cost(t, status="committed")
    mut_cost(t, cost_id="zz-c1", stage_of="zz-c", period_start="2001-03-01", period_end="2001-03-01")
    return [
        (
            "costs.csv",
            mut_cost(
                t, cost_id="zz-c2", stage_of="zz-c", amount="150", period_start="2001-04-01", period_end="2001-04-01"
            ),
            "amount",
            "stage-conflict",
            "error",
        )
    ]


def m_figure_conflict(t):
    mut_agreement(t)
    mut_transfer(t, 0, people="10")
    return [("transfers.csv", mut_transfer(t, 1, people="30"), "people", "figure-conflict", "error")]


def m_cost_figure_conflict(t):
    mut_agreement(t)
    mut_cost(t, measure="cumulative", period_start="", amount="100")
    line = mut_cost(t, cost_id="zz-c1", measure="cumulative", period_start="", amount="200")
    return [("costs.csv", line, "amount", "figure-conflict", "error")]


def m_outside(t):
    mut_agreement(t)
    return [
        (
            "transfers.csv",
            mut_transfer(t, 0, measure="event", period_start="1995", period_end="1995"),
            "period_end",
            "outside-agreement",
            "warning",
        )
    ]


def m_cumulative_decrease(t):
    mut_agreement(t)
    mut_transfer(t, 0, people="10")
    return [
        ("transfers.csv", mut_transfer(t, 1, people="5", period_end="2002"), "people", "cumulative-decrease", "error")
    ]


def m_events_exceed(t):
    mut_agreement(t)
    mut_transfer(t, 0, measure="event", period_start="2001-02-01", period_end="2001-02-01", people="8")
    mut_transfer(t, 1, measure="event", period_start="2001-03", period_end="2001-03", people="8")
    return [("transfers.csv", mut_transfer(t, 2, people="10"), "people", "events-exceed-cumulative", "error")]


def m_capacity(t):
    mut_agreement(t, capacity_people="5", capacity_basis="term_total", capacity_scope="people over the whole term")
    return [("transfers.csv", mut_transfer(t, 0, people="6"), "people", "over-capacity", "error")]


def m_capacity_basis(t):
    mut_agreement(t, capacity_people="5")
    return [("agreements.csv", len(t["agreements"]) + 1, "capacity_basis", "capacity-basis", "error")]


def m_alternative_reason(t):
    mut_agreement(t)
    mut_transfer(t, 0)
    return [
        (
            "transfers.csv",
            mut_transfer(t, 1, alternative_to="zz-t0", people="12"),
            "notes",
            "alternative-reason",
            "error",
        )
    ]


def m_alternative_self(t):
    mut_agreement(t)
    return [
        (
            "transfers.csv",
            mut_transfer(t, 0, alternative_to="zz-t0", notes="x"),
            "alternative_to",
            "alternative-self",
            "error",
        )
    ]


def m_alternative_agreement(t):
    mut_agreement(t)
    t["agreements"].append(dict(t["agreements"][-1], agreement_id="zz-mut-b"))
    mut_transfer(t, 0)
    return [
        (
            "transfers.csv",
            mut_transfer(t, 1, agreement_id="zz-mut-b", alternative_to="zz-t0", notes="x"),
            "alternative_to",
            "alternative-agreement",
            "error",
        )
    ]


def m_alternative_chain(t):
    mut_agreement(t)
    mut_transfer(t, 0)
    mut_transfer(t, 1, alternative_to="zz-t0", notes="x")
    return [
        (
            "transfers.csv",
            mut_transfer(t, 2, alternative_to="zz-t1", notes="y"),
            "alternative_to",
            "alternative-chain",
            "error",
        )
    ]


def m_unused_source(t):
    t["sources"].append(dict(t["sources"][0], source_id="zz-unused"))
    return [("sources.csv", len(t["sources"]) + 1, "source_id", "unused-source", "error")]


def m_formula(t):
    return [set_cell(t, "parties", 0, "name", "=HYPERLINK(1)") + ("text-hygiene", "error")]


def m_spaces(t):
    return [set_cell(t, "agreements", 0, "name", "Deal ") + ("text-hygiene", "error")]


def m_zero_width(t):
    return [set_cell(t, "sources", 0, "title", "Re\u200bport") + ("text-hygiene", "error")]


def m_date_range(t):
    return [set_cell(t, "agreements", 0, "announced", "1850") + ("date-range", "error")]


def m_empty_table(t):
    t["costs"] = []
    return [("costs.csv", 1, None, "empty-table", "error")]


def m_bidi(t):
    return [set_cell(t, "parties", 0, "name", "Ab\u202ec") + ("text-hygiene", "error")]


def m_non_finite(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, amount="INF"), "amount", "non-finite", "error")]


def m_overflowing_number(t):
    mut_agreement(t)
    return [("costs.csv", mut_cost(t, amount="1e999"), "amount", "non-finite", "error")]


def m_out_of_range(t):
    mut_agreement(t)
    return [("transfers.csv", mut_transfer(t, 0, people="9" * 30), "people", "out-of-range", "error")]


def mut_event(tables, **over) -> int:
    row = {
        "event_id": f"zz-e{len(tables['events'])}",
        "agreement_id": "zz-mut",
        "date": "2001-06-01",
        "kind": "policy_announcement",
        "body": "",
        "body_type": "",
        "outcome": "announced",
        "case": "",
        "alternative_to": "",
        "source_id": "src-0",
        "notes": "",
    }
    row.update(over)
    tables["events"].append(row)
    return len(tables["events"]) + 1


def m_event_before_the_agreement(t):
    mut_agreement(t)
    return [("events.csv", mut_event(t, date="1995"), "date", "event-date", "error")]


def m_first_transfer_after_the_end(t):
    mut_agreement(t, status="terminated", ended="2002")
    return [
        (
            "events.csv",
            mut_event(t, kind="first_transfer", outcome="completed", date="2003"),
            "date",
            "event-date",
            "error",
        )
    ]


def m_termination_of_a_live_agreement(t):
    mut_agreement(t)
    return [("events.csv", mut_event(t, kind="termination", outcome="ended"), "kind", "event-status", "error")]


def m_open_suspension(t):
    mut_agreement(t)
    mut_event(t, kind="resumption", outcome="resumed", date="2001-03")
    return [("events.csv", mut_event(t, kind="suspension", outcome="suspended"), "kind", "event-status", "error")]


def m_struck_down_ruling(t):
    mut_agreement(t)
    return [("events.csv", mut_event(t, kind="court_ruling", outcome="struck_down"), "outcome", "struck-down", "error")]


def m_struck_down_without_ruling(t):
    mut_agreement(t, status="struck_down", ended="2002")
    return [("agreements.csv", len(t["agreements"]) + 1, "status", "struck-down", "error")]


def m_citation_missing(t):
    from strategies import citations_for

    mut_agreement(t)
    t["citations"] = [c for c in citations_for(t) if c["row_id"] != "zz-mut"]
    line = len(t["agreements"]) + 1
    return [
        ("agreements.csv", line, "agreement_id", "citation-missing", "error"),
        ("agreements.csv", line, "source_id", "citation-missing", "error"),
    ]


def m_citation_row(t):
    from strategies import citations_for

    t["citations"] = citations_for(t) + [
        {"resource": "transfers", "row_id": "no-such-row", "field": "*", "source_id": "src-0", "role": "context"}
    ]
    return [("citations.csv", len(t["citations"]) + 1, "row_id", "citation-row", "error")]


def m_citation_field(t):
    from strategies import citations_for

    row = t["agreements"][0]["agreement_id"]
    t["citations"] = citations_for(t) + [
        {"resource": "agreements", "row_id": row, "field": "no_such_field", "source_id": "src-0", "role": "context"}
    ]
    return [("citations.csv", len(t["citations"]) + 1, "field", "citation-field", "error")]


MUTATIONS: list[Callable] = [v for k, v in dict(globals()).items() if k.startswith("m_")]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__[2:])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=datasets())
def test_single_fault_is_found_at_its_place(mutation, tables):
    tables = copy.deepcopy(tables)
    expected = mutation(tables)
    with tempfile.TemporaryDirectory() as tmp:
        report = md.validate(write_package(Path(tmp), tables))
    assert found(report) == sorted(expected)


def test_mutations_cover_every_rule():
    """Every finding a consistency rule can report has a mutation that fires it (an untripped rule is a defect)."""
    import inspect

    from migration_deals import rules

    declared = {name for names in rules.RULES.values() for name in names}
    covered = {name for name in declared for m in MUTATIONS if f'"{name}"' in inspect.getsource(m)}
    assert covered == declared
