"""A release's typed Arrow copies: the same frames as its CSV files, used only when every stamp matches,
and never parsed for a package other than the one installed with the library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import migration_deals as md
from migration_deals import integrity, loading, released
from migration_deals.package import open_package


@pytest.fixture
def copy(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled package that the loader takes for the installed one."""
    dst = tmp_path / "pkg"
    shutil.copytree(md.bundled_path().parent, dst)
    monkeypatch.setattr(loading, "bundled_path", lambda: dst / "datapackage.json")
    return dst


@pytest.fixture
def csv_reads(monkeypatch) -> list[str]:
    """The resources the loader reads from their CSV files."""
    seen: list[str] = []
    read_csv = released.read_csv

    def spy(data, schema):
        seen.append(schema.resource)
        return read_csv(data, schema)

    monkeypatch.setattr(released, "read_csv", spy)
    return seen


def restamp(pkg: Path, name: str) -> None:
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in descriptor["resources"] if r["name"] == name]
    data = (pkg / released.copy_path(name)).read_bytes()
    resource["arrow"]["bytes"], resource["arrow"]["hash"] = len(data), integrity.digest(data)
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def test_every_copy_holds_the_frame_its_csv_file_gives():
    pkg = open_package(None)
    for name in pkg.resource_names:
        from_copy = released.read_copy(pkg, name, pkg.resource(name)["hash"])
        assert from_copy is not None, name
        from_csv = released.read_csv(pkg.read(name), pkg.schema(name))
        pd.testing.assert_frame_equal(from_copy, from_csv)
        assert list(from_copy.dtypes) == list(from_csv.dtypes)


def test_the_installed_package_is_loaded_from_its_copies(csv_reads):
    ds = md.load()
    assert csv_reads == [] and len(ds.transfers) > 0


def test_a_changed_copy_is_not_used_and_verify_names_it(copy, csv_reads):
    path = copy / released.copy_path("transfers")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    ds = md.load(copy)
    assert csv_reads == ["transfers"]
    pd.testing.assert_frame_equal(ds.transfers, md.load().transfers)
    [finding] = md.verify(copy).findings
    assert finding.rule == "hash-mismatch" and finding.path.endswith("arrow/transfers.arrow")
    assert not md.validate(copy).ok


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not arrow at all", b"ARROW1\x00\x00" + b"\xff" * 64, None],
    ids=["empty", "text", "bad-footer", "cut"],
)
def test_a_copy_that_does_not_decode_is_not_used(copy, csv_reads, garbage):
    path = copy / released.copy_path("costs")
    path.write_bytes(path.read_bytes()[:-100] if garbage is None else garbage)
    restamp(copy, "costs")  # its stamp matches: only decoding can tell
    ds = md.load(copy)
    assert csv_reads == ["costs"]
    pd.testing.assert_frame_equal(ds.costs, md.load().costs)


def test_a_copy_of_other_bytes_or_another_schema_is_not_used(copy, csv_reads):
    pkg = open_package(copy)
    frame = md.load().agreements
    # made from other CSV bytes
    (copy / released.copy_path("agreements")).write_bytes(
        released.write_copy(frame, pkg.schema("agreements"), "sha256:" + "0" * 64)
    )
    restamp(copy, "agreements")
    # made for a schema whose enum has one more value
    schema = pkg.schema("events")
    field = schema.field("kind")
    other = type(schema)(
        schema.resource,
        tuple(type(field)(**{**f.__dict__, "enum": (*f.enum, "extra")}) if f is field else f for f in schema.fields),
    )
    events = md.load().events.copy()
    events["kind"] = events["kind"].cat.add_categories("extra")
    (copy / released.copy_path("events")).write_bytes(
        released.write_copy(events, other, pkg.resource("events")["hash"])
    )
    restamp(copy, "events")
    expected = md.load()
    csv_reads.clear()
    ds = md.load(copy)
    assert sorted(csv_reads) == ["agreements", "events"]
    pd.testing.assert_frame_equal(ds.agreements, expected.agreements)
    pd.testing.assert_frame_equal(ds.events, expected.events)


def test_a_package_elsewhere_never_parses_its_copies(tmp_path, csv_reads, monkeypatch):
    dst = tmp_path / "pkg"
    shutil.copytree(md.bundled_path().parent, dst)

    def refuse(*args, **kwargs):
        raise AssertionError("an Arrow file from outside the installed package was parsed")

    monkeypatch.setattr(released, "decode_copy", refuse)
    ds = md.load(dst)
    assert sorted(csv_reads) == sorted(ds.frames)
    assert md.verify(dst).ok


def test_a_missing_copy_is_a_finding_and_load_reads_the_csv(copy, csv_reads):
    (copy / released.copy_path("parties")).unlink()
    ds = md.load(copy)
    assert csv_reads == ["parties"]
    pd.testing.assert_frame_equal(ds.parties, md.load().parties)
    [finding] = md.verify(copy).findings
    assert finding.rule == "missing-file" and finding.path.endswith("arrow/parties.arrow")


def test_save_leaves_the_copies_out(tmp_path):
    out = md.load().save(tmp_path / "saved")
    descriptor = json.loads(out.read_text(encoding="utf-8"))
    assert all("arrow" not in r for r in descriptor["resources"])
    assert md.verify(out).ok and not (tmp_path / "saved" / "arrow").exists()


def test_frames_from_copies_can_be_edited_like_any_frame():
    """A frame read from a copy is the user's to change: no column is a read-only view of Arrow's memory."""
    ds = md.load()
    a, c = ds.agreements, ds.costs
    a.loc[0, "capacity_people"] = 5
    a.loc[0, "legally_binding"] = True
    a.loc[0, "signed_earliest"] = pd.Timestamp("2020-01-01")
    a.loc[0, "name"] = "x"
    a.loc[0, "status"] = a["status"].cat.categories[0]
    c.loc[0, "amount"] = 1.5
    assert (a.loc[0, "capacity_people"], a.loc[0, "name"], c.loc[0, "amount"]) == (5, "x", 1.5)
    assert a.loc[0, "signed_earliest"] == pd.Timestamp("2020-01-01")
    assert md.load().agreements.loc[0, "name"] != "x"
