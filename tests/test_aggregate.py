"""The helpers add up like a careful analyst: brute force agrees, and what must not change a total does not."""

from __future__ import annotations

import copy
import math
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import write_package

import migration_deals as md
from migration_deals.aggregate import OPEN, PEOPLE_SERIES
from migration_deals.figures import APPROXIMATELY

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUALIFIERS = ["exact", "exact", "at_least", "at_most", "approximately"]
START = date(2010, 1, 1)


# --- generated datasets -------------------------------------------------------------------------


def _agreement(aid: str, send: str, recv: str, level: str = "agreement", programme: str = "", parent: str = "") -> dict:
    return {
        "agreement_id": aid,
        "name": aid,
        "sending_party": send,
        "receiving_party": recv,
        "kind": "offshore_processing",
        "level": level,
        "status": "in_force",
        "signed": "2010-01-01",
        "parent_agreement_id": parent,
        "programme_id": programme,
        "source_id": "src-0",
    }


def _day(draw, lo: int = 0, hi: int = 3000) -> str:
    return (START + timedelta(days=draw(st.integers(lo, hi)))).isoformat()


@st.composite
def packages(draw) -> dict[str, list[dict]]:
    """Agreements (one may be a programme over two members), with events, running totals, stocks,
    alternatives, nested children and money at several stages."""
    agreements = [_agreement("aus-nru", "AUS", "NRU"), _agreement("aus-png", "AUS", "PNG")]
    if draw(st.booleans()):
        agreements.append(_agreement("aus-prog", "AUS", "", level="programme"))
        for a in agreements[:2]:
            a["programme_id"] = "aus-prog"
    if draw(st.booleans()):
        agreements.append(_agreement("aus-nru-2", "AUS", "NRU", parent="aus-nru"))
    if draw(st.booleans()):
        agreements.append(_agreement("nru-aus", "NRU", "AUS", parent="aus-nru"))
    ids = [a["agreement_id"] for a in agreements]
    transfers: list[dict] = []
    for i in range(draw(st.integers(0, 10))):
        measure = draw(st.sampled_from(["event", "event", "cumulative", "stock"]))
        end = _day(draw)
        start = "" if measure != "event" else end
        row = {
            "transfer_id": f"t{i}",
            "agreement_id": draw(st.sampled_from(ids)),
            "period_start": start,
            "period_end": end[: draw(st.sampled_from([10, 10, 7, 4]))],
            "measure": measure,
            "people": str(draw(st.integers(0, 400))),
            "qualifier": draw(st.sampled_from(QUALIFIERS)),
            "movement": draw(st.sampled_from(["transferred", "transferred", "returned"])),
            "population": draw(st.sampled_from(["refugees", "deportees", "mixed"])),
            "nationalities": draw(st.sampled_from(["", "AFG"])),
            "voluntary": "forced",
            "within": "",
            "alternative_to": "",
            "source_id": "src-0",
        }
        if transfers and draw(st.integers(0, 4)) == 0:
            row["within"] = draw(st.sampled_from([t["transfer_id"] for t in transfers]))
        if transfers and draw(st.integers(0, 5)) == 0:
            row["alternative_to"] = draw(st.sampled_from([t["transfer_id"] for t in transfers]))
            row["notes"] = "x"
        transfers.append(row)
    costs: list[dict] = []
    for i in range(draw(st.integers(0, 8))):
        measure = draw(st.sampled_from(["event", "event", "cumulative", "rate", "recurring"]))
        end = _day(draw)
        row = {
            "cost_id": f"c{i}",
            "agreement_id": draw(st.sampled_from(ids)),
            "payer": "AUS",
            "payee": "NRU",
            "period_start": end if measure == "event" else "",
            "period_end": end,
            "amount": str(draw(st.integers(1, 10**6))),
            "currency": draw(st.sampled_from(["AUD", "AUD", "USD"])),
            "qualifier": draw(st.sampled_from(QUALIFIERS)),
            "measure": measure,
            "unit": {"rate": "person", "recurring": "year"}.get(measure, ""),
            "status": draw(st.sampled_from(["paid", "paid", "committed"])),
            "form": draw(st.sampled_from(["grant", "loan", "unknown"])),
            "category": draw(st.sampled_from(["direct_payment", "total"])),
            "within": "",
            "stage_of": "",
            "alternative_to": "",
            "source_id": "src-0",
        }
        if costs and draw(st.integers(0, 4)) == 0:
            row["within"] = draw(st.sampled_from([c["cost_id"] for c in costs]))
        if costs and draw(st.integers(0, 4)) == 0:
            row["stage_of"] = draw(st.sampled_from([c["cost_id"] for c in costs]))
        if costs and draw(st.integers(0, 6)) == 0:
            row["alternative_to"] = draw(st.sampled_from([c["cost_id"] for c in costs]))
            row["notes"] = "x"
        costs.append(row)
    return {
        "parties": [{"party_id": c, "name": c, "kind": "state"} for c in ("AUS", "NRU", "PNG")],
        "sources": [
            {
                "source_id": "src-0",
                "url": "https://example.org/",
                "title": "t",
                "publisher": "p",
                "accessed": "2026-11-28",
                "kind": "news",
                "language": "en",
            }
        ],
        "agreements": agreements,
        "transfers": transfers,
        "costs": costs,
    }


def loaded(tables: dict[str, list[dict]]) -> md.Dataset:
    """Generated rows as a Dataset. They need not pass the consistency rules (the helpers must be right
    on any rows), so each file is read straight into typed columns, as a release's is, and not validated
    (`load` validates every package but the installed release)."""
    from migration_deals import released
    from migration_deals.package import open_package

    with tempfile.TemporaryDirectory() as tmp:
        pkg = open_package(write_package(Path(tmp), tables))
        frames = {name: released.read_csv(pkg.read(name), pkg.schema(name)) for name in pkg.resource_names}
        return md.Dataset(frames, pkg)


# --- brute force: the documented rules, row by row -------------------------------------------------


def bounds(value: float, qualifier: str) -> tuple[float, float]:
    return {
        "exact": (value, value),
        "at_least": (value, math.inf),
        "at_most": (0.0, value),
        "approximately": (value * (1 - APPROXIMATELY), value * (1 + APPROXIMATELY)),
    }[qualifier]


def interval(text: str) -> tuple[date, date]:
    from migration_deals.dates import parse

    i = parse(text)
    assert i is not None
    return i.earliest, i.latest


def group_of(agreements: list[dict], by: str) -> dict[str, object]:
    send = {a["agreement_id"]: a["sending_party"] for a in agreements}
    up = {a["agreement_id"]: a.get("programme_id") or a.get("parent_agreement_id") or "" for a in agreements}
    up = {a: u if u and send[u] == send[a] else "" for a, u in up.items()}
    out: dict[str, object] = {}
    for a in agreements:
        aid = a["agreement_id"]
        if by == "agreement":
            out[aid] = aid
        elif by == "programme":
            here = aid
            while up[here]:
                here = up[here]
            out[aid] = here
        else:
            recv = a["receiving_party"] or None
            if recv is None:
                shared = {m["receiving_party"] for m in agreements if m.get("programme_id") == aid}
                recv = shared.pop() if len(shared) == 1 else None
            out[aid] = (a["sending_party"], recv)
    return out


def brute(tables: dict, resource: str, by: str, keep) -> dict[object, tuple[float, float]]:
    key, value = ("transfer_id", "people") if resource == "transfers" else ("cost_id", "amount")
    series_cols = (
        ("agreement_id", "movement", "population", "nationalities", "voluntary")
        if resource == "transfers"
        else ("agreement_id", "payer", "payee", "category", "form", "currency")
    )
    rows = {r[key]: r for r in tables[resource]}
    groups = group_of(tables["agreements"], by)

    def chain(r: dict) -> list[str]:
        out, seen, up = [], {r[key]}, r.get("within", "")
        while up and up not in seen:
            out.append(up)
            seen.add(up)
            up = rows[up].get("within", "")
        return out

    def candidate(r: dict) -> bool:
        return (
            keep(r)
            and not r["alternative_to"]
            and r["measure"] in ("event", "cumulative")
            and not any(rows[a]["alternative_to"] for a in chain(r))
        )

    result = {}
    for g in sorted(set(groups.values()), key=str):
        cands = [r for r in rows.values() if groups[r["agreement_id"]] == g and candidate(r)]
        names = {r[key] for r in cands}
        counted = [r for r in cands if not any(a in names for a in chain(r))]
        if not counted:
            continue
        # an attribute left open by one counted row merges its agreement's series on that attribute
        open_values = OPEN
        fixed = [c for c in series_cols if c not in open_values]
        merged = []
        for r in counted:
            r = dict(r)
            r["_series"] = tuple(
                "*"
                if col in open_values
                and any(o[col] in open_values[col] and all(o[c] == r[c] for c in fixed) for o in counted)
                else r[col]
                for col in series_cols
            )
            merged.append(r)
        counted = merged
        figures = []
        for r in counted:
            lo, hi = bounds(float(r[value]), r["qualifier"])
            figures.append(
                dict(
                    r,
                    lo=lo,
                    hi=hi,
                    end=interval(r["period_end"]),
                    start=interval(r["period_start"]) if r["period_start"] else None,
                )
            )
        if resource == "costs":  # one figure per chain of stages: the latest report, bounds intersected
            figures = merge(figures, lambda f: f["stage_of"] or f[key])
        figures = merge(
            figures,
            lambda f: (
                tuple(f[c] for c in series_cols),
                f["measure"],
                f["period_start"],
                f["period_end"],
                f[key] if resource == "costs" and f["measure"] != "cumulative" else "",
            ),
        )
        per_agreement: dict[str, tuple[float, float]] = {}
        for s in {f["_series"] for f in figures}:
            part = [f for f in figures if f["_series"] == s]
            events = [f for f in part if f["measure"] == "event"]
            totals = [f for f in part if f["measure"] == "cumulative"]
            lows = [sum(e["lo"] for e in events)]
            for c in totals:
                lows.append(c["lo"] + sum(e["lo"] for e in events if (e["start"] or e["end"])[0] > c["end"][1]))
            if totals:
                anchor = sorted(totals, key=lambda c: (c["end"][1], c["end"][0], -c["hi"]))[-1]
                high = anchor["hi"] + sum(e["hi"] for e in events if not e["end"][1] <= anchor["end"][0])
            else:
                high = sum(e["hi"] for e in events)
            lo0, hi0 = per_agreement.get(s[0], (0.0, 0.0))
            per_agreement[s[0]] = (lo0 + max(lows), hi0 + high)
        in_group = {a for a, gg in groups.items() if gg == g}
        members = {a["agreement_id"]: a.get("programme_id", "") for a in tables["agreements"]}

        def node(a: str, per_agreement=per_agreement, members=members, in_group=in_group) -> tuple[float, float] | None:
            own = per_agreement.get(a)
            kids = [node(m) for m, p in members.items() if p == a and m in in_group]
            kids = [k for k in kids if k is not None]
            if not kids:
                return own
            ml, mh = sum(k[0] for k in kids), sum(k[1] for k in kids)
            return (ml, mh) if own is None else (max(own[0], ml), own[1] + mh)

        tops = [node(a) for a in in_group if members.get(a, "") not in in_group]
        tops = [t for t in tops if t is not None]
        result[g] = (sum(t[0] for t in tops), sum(t[1] for t in tops))
    return result


def merge(figures: list[dict], key) -> list[dict]:
    out: dict[object, dict] = {}
    for f in sorted(figures, key=lambda f: (f["end"][1], f["end"][0]), reverse=True):
        k = key(f)
        if k not in out:
            out[k] = dict(f, lows=[f["lo"]], highs=[f["hi"]])
        else:
            out[k]["lows"].append(f["lo"])
            out[k]["highs"].append(f["hi"])
    for f in out.values():
        if max(f["lows"]) <= min(f["highs"]):
            f["lo"], f["hi"] = max(f["lows"]), min(f["highs"])
    return list(out.values())


def _key(k: object) -> object:
    """A pair with no receiving party (a programme over several) has a missing value in the index."""
    return tuple(None if pd.isna(x) else x for x in k) if isinstance(k, tuple) else k


def as_dict(frame: pd.DataFrame, low: str, high: str) -> dict[object, tuple[float, float]]:
    out = {}
    for k, r in frame.iterrows():
        k = _key(k)
        hi = r[high]
        out[k] = (float(r[low]), math.inf if pd.isna(hi) else float(hi))
    return out


def close(a: dict, b: dict, whole: bool) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        lo, hi = b[k]
        if whole:
            lo, hi = math.floor(round(lo, 6)), (hi if math.isinf(hi) else math.ceil(round(hi, 6)))
        if not (
            math.isclose(a[k][0], lo, rel_tol=1e-9, abs_tol=1e-6)
            and (a[k][1] == hi or math.isclose(a[k][1], hi, rel_tol=1e-9, abs_tol=1e-6))
        ):
            return False
    return True


# --- properties ---------------------------------------------------------------------------------


@SETTINGS
@given(packages(), st.sampled_from(["agreement", "programme", "pair"]))
def test_people_moved_equals_brute_force(tables, by):
    got = as_dict(loaded(tables).people_moved(by=by), "people_low", "people_high")
    want = brute(tables, "transfers", by, lambda r: r["movement"] == "transferred")
    assert close(got, want, whole=True), (got, want)


@SETTINGS
@given(packages(), st.sampled_from(["agreement", "programme", "pair"]), st.sampled_from(["paid", "committed"]))
def test_money_equals_brute_force(tables, by, status):
    tables = copy.deepcopy(tables)
    for c in tables["costs"]:
        c["currency"] = "AUD"
    got = as_dict(loaded(tables).money(by=by, status=status), "amount_low", "amount_high")
    want = brute(tables, "costs", by, lambda r: r["status"] == status)
    assert close(got, want, whole=False), (got, want)


def _totals(tables) -> tuple[dict, dict]:
    ds = loaded(tables)
    return (
        as_dict(ds.people_moved(by="programme"), "people_low", "people_high"),
        as_dict(ds.money(by="programme", status="paid"), "amount_low", "amount_high"),
    )


@SETTINGS
@given(packages(), st.data())
def test_what_must_not_change_a_total_does_not(tables, data):
    """A stock, an alternative, a child inside its parent or a second stage of the same money add nothing."""
    tables = copy.deepcopy(tables)
    for c in tables["costs"]:
        c["currency"] = "AUD"
    before = _totals(tables)
    extra = copy.deepcopy(tables)
    kind = data.draw(st.sampled_from(["stock", "alternative", "child", "stage"]))
    flows = [t for t in tables["transfers"] if t["measure"] in ("event", "cumulative")]
    if kind == "stock" and tables["transfers"]:
        extra["transfers"].append(
            dict(tables["transfers"][0], transfer_id="new", measure="stock", period_start="", within="", people="9999")
        )
    elif kind == "alternative" and flows:
        extra["transfers"].append(
            dict(
                flows[0],
                transfer_id="new",
                alternative_to=flows[0]["alternative_to"] or flows[0]["transfer_id"],
                within="",
                people="7777",
                notes="x",
            )
        )
    elif kind == "child" and flows:
        parent = flows[0]
        extra["transfers"].append(
            dict(parent, transfer_id="new", within=parent["transfer_id"], people="1", nationalities="SYR")
        )
    elif kind == "stage" and tables["costs"]:
        root = tables["costs"][0]
        extra["costs"].append(
            dict(root, cost_id="new", stage_of=root["stage_of"] or root["cost_id"], period_end=root["period_end"])
        )
    assert _totals(extra) == before


# --- the bundled data: known answers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ds() -> md.Dataset:
    return md.load()


def test_stocks_are_never_added(ds):
    moved = ds.people_moved(by="agreement")
    used = {i for ids in moved["rows"] for i in ids}
    stocks = set(ds.transfers.loc[ds.transfers["measure"] == "stock", "transfer_id"])
    assert stocks and not used & stocks


def test_a_nested_row_is_counted_once(ds):
    t = ds.transfers.set_index("transfer_id")
    child = "cyp-lbn-2020-09-08-returns-45"
    assert t.loc[child, "within"] == "cyp-lbn-2020-09-07-08-returns-115"
    used = ds.people_moved(by="agreement").loc["cyp-lbn-2004-readmission", "rows"]
    assert child not in used and "cyp-lbn-2020-09-07-08-returns-115" in used


def test_combined_figures_sit_on_the_programme(ds):
    by_agreement = ds.people_moved(by="agreement")
    members = ds.agreements.loc[ds.agreements["programme_id"] == "aus-2012-regional-processing", "agreement_id"]
    assert len(members) == 5
    for member in members:
        used = by_agreement["rows"].get(member, ())
        assert "aus-offshore-2019-07-14-sent-4183" not in used
    assert "aus-offshore-2019-07-14-sent-4183" in by_agreement.loc["aus-2012-regional-processing", "rows"]
    pairs = ds.people_moved(by="pair").index
    assert ("AUS", "NRU") in pairs and ("AUS", "PNG") in pairs


def test_uk_rwanda_paid_is_the_700m_total(ds):
    paid = ds.money(by="pair").loc[("GBR", "RWA")]
    assert (paid.currency, paid.amount_low, paid.amount_high) == ("GBP", 700_000_000, 700_000_000)


def test_one_grant_at_three_stages_counts_once(ds):
    assert ds.money(by="agreement").loc["usa-swz-2025-deportation", "amount_low"] == 5_100_000


def test_cost_per_person_is_na_where_nobody_was_moved(ds):
    cpp = ds.cost_per_person(by="agreement")
    nobody = cpp[cpp["people_high"].fillna(1) == 0]
    assert len(nobody) and nobody["low"].isna().all() and nobody["high"].isna().all()
    assert not (cpp[["low", "high"]].astype(float) == math.inf).any().any()


def test_conversion_says_which_rates_it_used(ds):
    usd = ds.money(by="pair", currency="USD").loc[("GBR", "RWA")]
    assert usd.currency == "USD" and usd.unconverted == ()
    assert usd.rates and all("GBP->USD" in r for r in usd.rates)
    assert 800e6 < usd.amount_low < 1000e6


def test_bad_arguments_say_what_is_allowed(ds):
    with pytest.raises(ValueError, match="agreement"):
        ds.people_moved(by="country")
    with pytest.raises(ValueError, match="transferred"):
        ds.people_moved(movement="to_receiver")
    with pytest.raises(ValueError, match="paid"):
        ds.money(status="per_person_rate")


def test_a_pre_euro_amount_keeps_its_currency_and_is_never_converted(ds):
    """Deutsche Mark aid of 1993-94 stays in DEM; a common-currency total lists it as unconverted."""
    dem = "deu-pol-1993-readmission-spent-1994-67-5m-dem"
    assert ds.costs.set_index("cost_id").loc[dem, "currency"] == "DEM"
    native = ds.money(by="pair").loc[("DEU", "POL")]
    assert (native.currency, native.amount_low, native.amount_high) == ("DEM", 67_522_700, 67_522_700)
    usd = ds.money(by="pair", currency="USD").loc[("DEU", "POL")]
    assert dem in usd.unconverted and dem not in usd.rows


def test_no_count_sits_unlinked_inside_another_of_its_series(ds):
    """An event count whose period lies certainly inside a longer count that covers the same people
    (same series, or one that leaves the attribute open) would be added to it; the bundled data links
    every such part to its whole with `within`."""

    t = ds.transfers
    ev = t[(t["measure"] == "event") & t["alternative_to"].isna()]
    within = dict(zip(t["transfer_id"], t["within"].fillna(""), strict=True))

    def chain(tid: str) -> set[str]:
        out, up = set(), within.get(tid, "")
        while up and up not in out:
            out.add(up)
            up = within.get(up, "")
        return out

    def value(r, c: str) -> str:
        v = getattr(r, c)
        return "" if pd.isna(v) else str(v)

    def covers(c, r) -> bool:
        return all(value(c, a) == value(r, a) or value(c, a) in OPEN.get(a, ()) for a in PEOPLE_SERIES)

    found = []
    for _, part in ev.groupby(["agreement_id", "movement"], observed=True):
        rows = list(part.itertuples())
        for r in rows:
            r_start = r.period_start_earliest if pd.notna(r.period_start_earliest) else r.period_end_earliest
            for c in rows:
                if c is r or pd.isna(c.period_start_latest) or not covers(c, r):
                    continue
                inside = c.period_start_latest <= r_start and r.period_end_latest <= c.period_end_earliest
                longer = (c.period_end_earliest - c.period_start_latest) > (r.period_end_latest - r_start)
                if (
                    inside
                    and longer
                    and not ({c.transfer_id, r.transfer_id} & (chain(r.transfer_id) | chain(c.transfer_id)))
                ):
                    found.append((r.transfer_id, c.transfer_id))
    assert not found, found[:10]


def test_nationality_lists_are_written_one_way(ds):
    """Series are told apart by their nationalities as written: each list is sorted and has no repeats,
    so "HND;GTM" and "GTM;HND" are never two series."""
    lists = ds.transfers["nationalities"].dropna().astype(str)
    assert all(s == ";".join(sorted(set(s.split(";")))) for s in lists)
