"""Contributor workflow: canonical form, row diff with version classification, coverage report."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import datasets, schema_fields
from test_bad_input import unstamped_copy

import migration_deals as md
from migration_deals.canonical import canonical_text, format_package
from migration_deals.cli import main
from migration_deals.coverage import coverage
from migration_deals.diff import bump, diff

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cells(text: str) -> list[dict]:
    return sorted((dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))), key=lambda r: sorted(r.items()))


@SETTINGS
@given(tables=datasets(), seed=st.integers(0, 10**6), quote_all=st.booleans(), crlf=st.booleans())
def test_fmt_is_idempotent_and_keeps_every_value(tables, seed, quote_all, crlf):
    """Shuffled rows and columns, full quoting and CRLF: fmt restores one form and changes no value."""
    rng = random.Random(seed)
    for name, rows in tables.items():
        names = schema_fields(name)
        shuffled = names[:]
        rng.shuffle(shuffled)
        rows = rows[:]
        rng.shuffle(rows)
        out = io.StringIO()
        w = csv.writer(
            out, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
        )
        w.writerow(shuffled)
        w.writerows([[r[n] for n in shuffled] for r in rows])
        messy = out.getvalue()
        once = canonical_text(messy, names, [names[0]])
        assert canonical_text(once, names, [names[0]]) == once
        assert cells(once) == cells(messy)
        assert once.splitlines()[0] == ",".join(names)
        assert "\r" not in once or any("\r" in v for r in rows for v in r.values())


def test_shipped_data_is_canonical():
    changed, report = format_package(check=True)
    assert changed == [] and report.findings == []


def test_fmt_rewrites_and_check_reports(tmp_path, capsys):
    pkg = unstamped_copy(tmp_path / "pkg")
    lines = (pkg / "parties.csv").read_text(encoding="utf-8").splitlines()
    (pkg / "parties.csv").write_text("\r\n".join([lines[0]] + lines[1:][::-1]) + "\r\n", encoding="utf-8")
    assert main(["fmt", str(pkg), "--check"]) == 1
    assert "not canonical" in capsys.readouterr().out
    assert main(["fmt", str(pkg)]) == 0
    assert (pkg / "parties.csv").read_text(encoding="utf-8") == "\n".join(lines) + "\n"
    assert main(["fmt", str(pkg), "--check"]) == 0


def test_fmt_refuses_a_broken_file(tmp_path):
    pkg = unstamped_copy(tmp_path / "pkg")
    with open(pkg / "parties.csv", "a", encoding="utf-8") as fh:
        fh.write("QAT,Qatar\n")
    before = (pkg / "parties.csv").read_bytes()
    changed, report = format_package(pkg)
    assert [f.rule for f in report.findings] == ["fmt-refused"] and (pkg / "parties.csv").read_bytes() == before


def edit(pkg: Path, name: str, fn) -> None:
    path = pkg / f"{name}.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows = fn(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def next_minor() -> str:
    major, minor = md.__version__.split(".")[:2]
    return f"{major}.{int(minor) + 1}.0"


def set_version(pkg: Path, version: str, schema_edit=None) -> None:
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["version"] = version
    if schema_edit:
        schema_edit(d)
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")


def test_diff_classifies_changes(tmp_path):
    old = unstamped_copy(tmp_path / "old")
    same = diff(old, old)
    assert same.level == "none" and all(not r.added and not r.changed for r in same.resources)

    patch = unstamped_copy(tmp_path / "patch")
    edit(
        patch,
        "parties",
        lambda rows: [rows[0]] + [[r[0], r[1] + " (x)", r[2]] if r[0] == "RWA" else r for r in rows[1:]],
    )
    d = diff(old, patch)
    parties = next(r for r in d.resources if r.resource == "parties")
    assert d.level == "patch" and parties.changed == {"RWA": {"name": ["Rwanda", "Rwanda (x)"]}}

    minor = unstamped_copy(tmp_path / "minor")
    edit(minor, "parties", lambda rows: rows + [["ATA", "Antarctica", "state"]])
    assert diff(old, minor).level == "minor"
    set_version(minor, next_minor())
    assert diff(old, minor).bump_ok

    major = unstamped_copy(tmp_path / "major")

    def tighten(d):
        for f in d["resources"][0]["schema"]["fields"]:
            if f["name"] == "name":
                f["constraints"]["pattern"] = "[A-Za-z ]+"

    set_version(major, next_minor(), tighten)
    d = diff(old, major)
    assert d.level == "major" and not d.bump_ok
    assert any("tightened" in s for r in d.resources for s in r.schema)


@pytest.mark.parametrize(
    "old,new,level",
    [("0.1.0", "0.1.1", "patch"), ("0.1.0", "0.2.0", "minor"), ("0.9.3", "1.0.0", "major"), ("1.2.3", "1.2.3", "none")],
)
def test_bump(old, new, level):
    assert bump(old, new) == level


def test_diff_cli_formats(tmp_path, capsys):
    old = unstamped_copy(tmp_path / "old")
    new = unstamped_copy(tmp_path / "new")
    edit(new, "parties", lambda rows: rows + [["ATA", "Antarctica", "state"]])
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "#### parties: +1 added" in out and "- added ATA" in out
    assert main(["diff", str(old), str(new), "--check-version"]) == 1
    assert "smaller than the minor bump" in capsys.readouterr().err
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["level"] == "minor"


def test_coverage_lists_every_agreement_and_gaps():
    cov = coverage()
    ds = md.load()
    assert [r["agreement_id"] for r in cov["agreements"]] == list(ds.agreements.agreement_id)
    row = next(r for r in cov["agreements"] if r["agreement_id"] == "gbr-rwa-2023-treaty")
    assert row["missing"] == [] and row["costs"] == len(ds.costs[ds.costs.agreement_id == "gbr-rwa-2023-treaty"])
    assert cov["totals"]["agreements"] == len(ds.agreements)


def _history() -> Path | None:
    """This checkout's git folder, when it holds the full history (not an sdist or a shallow clone)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    probe = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-shallow-repository"], capture_output=True)
    if probe.returncode != 0 or probe.stdout.strip() != b"false":
        return None
    return root


def test_diff_finds_a_release_by_version_without_tags(tmp_path):
    """A clone with no tags still finds 0.2.0 in its history, and 0.2.0 -> 1.0.0 needs a major bump."""
    import subprocess

    from migration_deals.diff import checkout, diff, release_commit

    root = _history()
    if root is None:
        pytest.skip("needs a git checkout with full history")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-tags", str(root), str(clone)], check=True)
    assert subprocess.run(["git", "-C", str(clone), "tag"], capture_output=True, text=True).stdout == ""
    commit = release_commit("0.2.0", clone)
    assert commit is not None and release_commit("v0.2.0", clone) == commit
    shown = subprocess.run(
        ["git", "-C", str(clone), "show", f"{commit}:datapackage/datapackage.json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(shown)["version"] == "0.2.0"
    old = checkout("0.2.0", clone)
    result = diff(old, clone / "datapackage")
    if result.new_version == "0.2.0":
        pytest.skip("the clone's main is still 0.2.0")
    assert result.level == "major" and result.bump_ok
    transfers = next(r for r in result.resources if r.resource == "transfers")
    assert "field direction removed" in transfers.schema and "field movement added" in transfers.schema


def test_ids_are_kept_and_direction_stays_derivable():
    """Every id of 0.2.0 is still here, and 0.2.0's direction is what formerDirection maps movement to."""
    from migration_deals.diff import checkout

    root = _history()
    if root is None:
        pytest.skip("needs a git checkout with full history")
    old = checkout("0.2.0", root)
    new = root / "datapackage"
    keys = {
        "parties": "party_id",
        "sources": "source_id",
        "agreements": "agreement_id",
        "transfers": "transfer_id",
        "costs": "cost_id",
    }
    rows = {}
    for name, key in keys.items():
        before = {r[key]: r for r in csv.DictReader((old / f"{name}.csv").open(encoding="utf-8", newline=""))}
        after = {r[key]: r for r in csv.DictReader((new / f"{name}.csv").open(encoding="utf-8", newline=""))}
        assert set(before) <= set(after), f"{name}: ids removed {sorted(set(before) - set(after))[:5]}"
        rows[name] = before, after
    schema = json.loads((root / "schemas" / "transfers.json").read_text(encoding="utf-8"))
    former = next(f for f in schema["fields"] if f["name"] == "movement")["formerDirection"]
    before, after = rows["transfers"]
    wrong = [k for k, r in before.items() if former[after[k]["movement"]] != r["direction"]]
    assert wrong == []
