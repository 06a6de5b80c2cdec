"""Bad input gets one clear finding and the right exit status, never a traceback."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import set_cell

import migration_deals as md
from migration_deals.cli import main


@pytest.fixture
def pkg(tmp_path) -> Path:
    """A copy of the bundled package to break."""
    return unstamped_copy(tmp_path / "pkg")


def unstamped_copy(dst: Path) -> Path:
    """A working copy of the bundled package, as a contributor has it: no release hashes."""
    shutil.copytree(md.bundled_path().parent, dst)
    d = json.loads((dst / "datapackage.json").read_text(encoding="utf-8"))
    for r in d["resources"]:
        r.pop("hash"), r.pop("bytes")
    (dst / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    return dst


def run(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out


def rules(path) -> list[str]:
    return [f.rule for f in md.validate(path).findings]


def test_missing_package(capsys, tmp_path):
    code, out = run(capsys, "validate", str(tmp_path / "nowhere"))
    assert code == 2 and "missing-file" in out


def test_broken_descriptor(capsys, pkg):
    (pkg / "datapackage.json").write_text('{"name": "x", "resources": [', encoding="utf-8")
    code, out = run(capsys, "validate", str(pkg))
    assert code == 2 and "descriptor-error" in out and "not valid JSON" in out
    assert rules(pkg) == ["descriptor-error"]


def test_descriptor_without_resources(capsys, pkg):
    (pkg / "datapackage.json").write_text('{"name": "x"}', encoding="utf-8")
    assert run(capsys, "validate", str(pkg))[0] == 2


def test_remote_path(capsys):
    code, out = run(capsys, "validate", "https://example.org/datapackage.json")
    assert code == 2 and "remote-path" in out


@pytest.mark.parametrize("bad", ["../outside.csv", "/etc/passwd", "https://example.org/x.csv", "C:/x.csv"])
def test_resource_path_outside_package(capsys, pkg, bad):
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"][0]["path"] = bad
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    code, out = run(capsys, "validate", str(pkg))
    assert code == 2 and "unsafe-path" in out


def test_missing_resource_file(capsys, pkg):
    (pkg / "costs.csv").unlink()
    code, out = run(capsys, "validate", str(pkg))
    assert code == 1 and "costs.csv" in out and "missing-file" in out
    assert rules(pkg) == ["missing-file"]


def test_not_utf8(pkg):
    text = (pkg / "parties.csv").read_bytes()
    (pkg / "parties.csv").write_bytes(text.replace(b"Rwanda", "Rwand\u00e9".encode("latin-1")))
    report = md.validate(pkg)
    [f] = report.findings
    assert (f.rule, Path(f.path).name) == ("encoding-error", "parties.csv")
    assert f.line == next(i for i, line in enumerate(text.split(b"\n"), 1) if b"Rwanda" in line)


def test_missing_column(pkg):
    rows = (pkg / "parties.csv").read_text(encoding="utf-8").splitlines()
    (pkg / "parties.csv").write_text("\n".join(r.rsplit(",", 1)[0] for r in rows) + "\n", encoding="utf-8")
    [f] = md.validate(pkg).findings
    assert (f.rule, f.field, f.line) == ("missing-label", "kind", 1)


def test_extra_cells(pkg):
    with open(pkg / "parties.csv", "a", encoding="utf-8") as fh:
        fh.write("QAT,Qatar,state,extra\n")
    [f] = md.validate(pkg).findings
    assert f.rule == "extra-cell" and f.line == len((pkg / "parties.csv").read_text().splitlines())


def test_embedded_newline_lines_are_physical(pkg):
    """A quoted cell with a line break shifts later rows; findings name the physical line."""
    lines = (pkg / "parties.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    lines[1] = f'{first[0]},"{first[1]}\nsecond line",{first[2]}'
    lines.append("QQQ,Nowhere,state")
    (pkg / "parties.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = {(f.rule, f.line) for f in md.validate(pkg).findings if f.path.endswith("parties.csv")}
    assert found == {("text-hygiene", 2), ("party-code", len(lines) + 1)}


def test_load_refuses_bad_values(pkg):
    set_cell(pkg / "transfers.csv", 2, "people", "lots")
    with pytest.raises(md.DataPackageError) as err:
        md.load(pkg)
    [f] = err.value.report.errors
    assert (f.rule, f.line, f.field, f.value) == ("type-error", 2, "people", "lots")
    assert "transfers.csv:2" in str(err.value)


def test_load_of_missing_package_raises_clear_error(tmp_path):
    with pytest.raises(md.DataPackageError, match="missing-file"):
        md.load(tmp_path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(junk=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda s: s.encode("utf-8"))))
def test_any_bytes_never_crash(junk):
    with tempfile.TemporaryDirectory() as tmp:
        dst = unstamped_copy(Path(tmp) / "pkg")
        (dst / "agreements.csv").write_bytes(junk)
        report = md.validate(dst)
    assert report.usable
    assert report.errors, "junk in place of agreements.csv must be reported"


def test_tampered_release_is_refused(tmp_path, capsys):
    dst = tmp_path / "release"
    shutil.copytree(md.bundled_path().parent, dst)
    assert md.verify(dst).ok and not md.verify(dst).findings
    text = (dst / "costs.csv").read_text(encoding="utf-8")
    (dst / "costs.csv").write_text(text.replace("700000000", "7000000"), encoding="utf-8")
    (dst / "parties.csv").write_bytes((dst / "parties.csv").read_bytes()[:-20])
    found = {(Path(f.path).name, f.rule) for f in md.verify(dst).findings}
    assert found == {
        ("costs.csv", "bytes-mismatch"),
        ("costs.csv", "hash-mismatch"),
        ("parties.csv", "bytes-mismatch"),
        ("parties.csv", "hash-mismatch"),
    }
    with pytest.raises(md.DataPackageError, match="hash-mismatch"):
        md.load(dst)
    with pytest.raises(md.DataPackageError, match="enum"):
        md.load(dst, verify=False)  # the truncated row is then caught by the schema checks
    code, out = run(capsys, "verify", str(dst))
    assert code == 1 and "hash-mismatch" in out


def test_unverified_load_of_edited_release(tmp_path):
    dst = tmp_path / "release"
    shutil.copytree(md.bundled_path().parent, dst)
    text = (dst / "costs.csv").read_text(encoding="utf-8")
    (dst / "costs.csv").write_text(text.replace(",26600000,", ",26700000,"), encoding="utf-8")
    ds = md.load(dst, verify=False)
    assert 26700000 in set(ds.costs.amount)
