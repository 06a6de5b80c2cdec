"""Hypothesis strategies: valid data packages in our schema, and how to write them to disk."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

from hypothesis import strategies as st

import migration_deals as md

AS_OF = date(2026, 11, 28)
CODES = ["GBR", "RWA", "USA", "SLV", "LBY", "ITA", "ALB", "AUS", "NRU", "EUU", "XKX", "TUR"]
CURRENCIES = ["GBP", "USD", "EUR", "AUD"]


def bundled_descriptor() -> dict:
    return json.loads(md.bundled_path().read_text(encoding="utf-8"))


def schema_fields(resource: str) -> list[str]:
    for r in bundled_descriptor()["resources"]:
        if r["name"] == resource:
            return [f["name"] for f in r["schema"]["fields"]]
    raise KeyError(resource)


def to_csv_text(resource: str, rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = schema_fields(resource)
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(n, "") for n in names])
    return buf.getvalue()


def set_cell(path: Path, line: int, field: str, value: str) -> None:
    """Change one cell of a CSV file in place, as a contributor editing by hand would (no quoted cells)."""
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(field)] = value
    rows[line - 1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


CITED = {"agreements": "agreement_id", "transfers": "transfer_id", "costs": "cost_id", "events": "event_id"}


def citations_for(tables: dict[str, list[dict]]) -> list[dict]:
    """One citation per row of agreements, transfers, costs and events: its source_id states it."""
    return [
        {"resource": name, "row_id": row[key], "field": "*", "source_id": row["source_id"], "role": "states"}
        for name, key in CITED.items()
        for row in tables.get(name, [])
    ]


def write_package(folder: Path, tables: dict[str, list[dict]], texts: dict[str, str] | None = None) -> Path:
    """Write a package in our schema; `texts` overrides a resource's whole CSV text. Without a
    `citations` table, every row is cited by its own source_id (see `citations_for`)."""
    folder.mkdir(parents=True, exist_ok=True)
    if "citations" not in tables:
        tables = {**tables, "citations": citations_for(tables)}
    tables = {**tables, "events": tables.get("events", [])}
    descriptor = bundled_descriptor()
    for resource in descriptor["resources"]:  # generated files are not the released ones
        resource.pop("hash", None)
        resource.pop("bytes", None)
    for name, rows in tables.items():
        text = (texts or {}).get(name) or to_csv_text(name, rows)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return path


text = (
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" ,.;'\"()NA"),
        min_size=1,
        max_size=30,
    )
    .map(lambda s: s.strip() or "x")
    .filter(lambda s: s[0] not in "=+-@")
)
days = st.integers(min_value=0, max_value=(AS_OF - date(1990, 1, 1)).days - 400)


@st.composite
def edtf(draw, day: date) -> str:
    """A date at day, month or year precision (coarsening only widens the interval)."""
    precision = draw(st.sampled_from(["day", "month", "year"]))
    out = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": day.isoformat()[:4]}[precision]
    return out + draw(st.sampled_from(["", "", "~", "?"]))


def transfer(agreement_id: str, transfer_id: str, source_id: str, **values: str) -> dict:
    """A forced deportation row to the receiving party; `values` fill the period, measure and count."""
    row = {
        "transfer_id": transfer_id,
        "agreement_id": agreement_id,
        "period_start": "",
        "period_end": "",
        "measure": "event",
        "people": "0",
        "qualifier": "exact",
        "movement": "transferred",
        "population": "deportees",
        "nationalities": "",
        "voluntary": "forced",
        "within": "",
        "alternative_to": "",
        "source_id": source_id,
        "notes": "",
    }
    row.update(values)
    return row


@st.composite
def datasets(draw) -> dict[str, list[dict]]:
    """A valid dataset: all five resources, consistent keys, ordered dates, monotone series."""
    codes = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=5, unique=True))
    parties = [{"party_id": c, "name": draw(text), "kind": "supranational" if c == "EUU" else "state"} for c in codes]
    n_agreements = draw(st.integers(1, 4))
    n_sources = draw(st.integers(1, n_agreements))
    sources = []
    for i in range(n_sources):
        pub = date(1990, 1, 1) + timedelta(days=draw(days))
        sources.append(
            {
                "source_id": f"src-{i}",
                "url": f"https://example.org/{i}",
                "title": draw(text),
                "publisher": draw(text),
                "original_publisher": draw(st.sampled_from(["", "Reuters"])),
                "published": draw(st.one_of(st.just(""), edtf(pub))),
                "accessed": AS_OF.isoformat(),
                "kind": draw(st.sampled_from(["government", "news", "ngo", "court"])),
                "class": draw(st.sampled_from(["primary", "wire", "secondary", "aggregator"])),
                "language": draw(st.sampled_from(["en", "fr", "es"])),
                "notes": draw(st.sampled_from(["", "NA", "null"])),
            }
        )
    agreements, transfers, costs = [], [], []
    for i in range(n_agreements):
        send, recv = draw(st.lists(st.sampled_from(codes), min_size=2, max_size=2, unique=True))
        start = date(1990, 1, 1) + timedelta(days=draw(days))
        in_force = start + timedelta(days=draw(st.integers(0, 100)))
        ended = in_force + timedelta(days=draw(st.integers(2, 300))) if draw(st.booleans()) else None
        status = (
            draw(st.sampled_from(["terminated", "struck_down", "abandoned"]))
            if ended
            else draw(st.sampled_from(["signed", "in_force", "suspended"]))
        )
        aid = f"{send.lower()}-{recv.lower()}-{i}"
        source = f"src-{i % n_sources}"
        agreements.append(
            {
                "agreement_id": aid,
                "name": draw(text),
                "sending_party": send,
                "receiving_party": recv,
                "kind": draw(st.sampled_from(["offshore_processing", "third_country_deportation", "readmission"])),
                "level": "agreement",
                "instrument": draw(st.sampled_from(["", "mou", "treaty"])),
                "legally_binding": draw(st.sampled_from(["", "true", "false"])),
                "status": status,
                "announced": draw(st.one_of(st.just(""), edtf(start))),
                "signed": draw(edtf(start)),
                "in_force": draw(st.one_of(st.just(""), edtf(in_force))),
                "ended": draw(edtf(ended)) if ended else "",
                "end_reason": "",
                "parent_agreement_id": agreements[0]["agreement_id"] if i and draw(st.booleans()) else "",
                "programme_id": "",
                "capacity_people": "",
                "capacity_basis": "",
                "capacity_scope": "",
                "text_url": "",
                "source_id": source,
                "notes": draw(st.sampled_from(["", "None", "NA"])),
            }
        )
        last = ended or start + timedelta(days=400)
        span = (last - in_force).days
        total = 0
        # one figure per series and day: two on the same day would state one fact (figure-conflict)
        # every table has a row (empty-table): the first agreement always has a transfer and a cost
        offsets = draw(st.lists(st.integers(0, span), min_size=1 if i == 0 else 0, max_size=3, unique=True))
        for j, offset in enumerate(offsets):
            d = in_force + timedelta(days=offset)
            people = draw(st.integers(0, 500))
            total += people
            transfers.append(
                transfer(
                    aid,
                    f"{aid}-t{j}",
                    source,
                    period_start=d.isoformat(),
                    period_end=d.isoformat(),
                    measure="event",
                    people=str(people),
                )
            )
        if draw(st.booleans()):
            transfers.append(
                transfer(
                    aid,
                    f"{aid}-cum",
                    source,
                    period_end=last.isoformat(),
                    measure="cumulative",
                    people=str(total + draw(st.integers(0, 50))),
                )
            )
        for j in range(draw(st.integers(1 if i == 0 else 0, 2))):
            d = in_force + timedelta(days=draw(st.integers(0, span)))
            amount = draw(
                st.one_of(
                    st.integers(1, 10**9).map(str),
                    st.floats(0.5, 1e6, allow_nan=False)
                    .map(lambda x: repr(round(x, 2)))
                    .filter(lambda s: not s.endswith(".0")),
                )
            )
            costs.append(
                {
                    "cost_id": f"{aid}-c{j}",
                    "agreement_id": aid,
                    "payer": send,
                    "payee": recv,
                    "period_start": d.isoformat(),
                    "period_end": d.isoformat(),
                    "amount": amount,
                    "currency": draw(st.sampled_from(CURRENCIES)),
                    "qualifier": "exact",
                    "measure": "event",
                    "unit": "",
                    "status": "paid",
                    "form": "grant",
                    "category": "direct_payment",
                    "within": "",
                    "stage_of": "",
                    "alternative_to": "",
                    "source_id": source,
                    "notes": "",
                }
            )
    first = agreements[0]
    rulings = [  # a struck-down agreement has the ruling that struck it down
        {
            "event_id": f"{a['agreement_id']}-ruling",
            "agreement_id": a["agreement_id"],
            "date": a["ended"],
            "kind": "court_ruling",
            "body": "court",
            "body_type": "court",
            "outcome": "struck_down",
            "case": "",
            "alternative_to": "",
            "source_id": a["source_id"],
            "notes": "",
        }
        for a in agreements
        if a["status"] == "struck_down"
    ]
    events = rulings + [
        {
            "event_id": f"{first['agreement_id']}-e0",
            "agreement_id": first["agreement_id"],
            "date": first["signed"],
            "kind": draw(st.sampled_from(["policy_announcement", "court_ruling", "legislation_passed"])),
            "body": draw(text),
            "body_type": draw(st.sampled_from(["", "court", "parliament", "government"])),
            "outcome": draw(st.sampled_from(["announced", "upheld", "passed"])),
            "case": "",
            "alternative_to": "",
            "source_id": first["source_id"],
            "notes": "",
        }
    ]
    return {
        "parties": parties,
        "sources": sources,
        "agreements": agreements,
        "transfers": transfers,
        "costs": costs,
        "events": events,
    }
