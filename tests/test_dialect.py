"""A declared CSV dialect is the one the files are read with, or the package is refused with one finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bad_input import rules, run, unstamped_copy

import migration_deals as md
from migration_deals.package import DIALECT, open_package


def declare(pkg: Path, resource: str, **dialect: object) -> None:
    """Change (or add) properties of one resource's declared dialect in a working copy."""
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    [r] = [r for r in d["resources"] if r["name"] == resource]
    r["dialect"] = {**r.get("dialect", {}), **dialect}
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")


def test_bundled_package_declares_the_dialect_it_is_read_with():
    descriptor = json.loads(md.bundled_path().read_text(encoding="utf-8"))
    assert [r.get("dialect") for r in descriptor["resources"]] == [DIALECT] * len(descriptor["resources"])
    assert "dialect" not in rules(None)


def test_semicolon_delimiter_declared(capsys, tmp_path):
    pkg = unstamped_copy(tmp_path / "pkg")
    declare(pkg, "transfers", delimiter=";")
    [f] = md.validate(pkg).findings
    assert (Path(f.path).name, f.resource, f.rule, f.value) == ("datapackage.json", "transfers", "dialect", ";")
    assert "delimiter" in f.message
    code, out = run(capsys, "validate", str(pkg))
    assert code == 2 and "dialect" in out
    with pytest.raises(md.DataPackageError):
        md.load(pkg)


@pytest.mark.parametrize(
    "key, value",
    [
        ("quoteChar", "'"),
        ("doubleQuote", False),
        ("header", False),
        ("header", 1),
        ("headerRows", [2]),
        ("escapeChar", "\\"),
        ("skipInitialSpace", True),
        ("commentChar", "#"),
        ("lineTerminator", ";"),
    ],
)
def test_other_dialect_declared(tmp_path, key, value):
    pkg = unstamped_copy(tmp_path / "pkg")
    declare(pkg, "costs", **{key: value})
    [f] = md.validate(pkg).findings
    assert (f.rule, f.resource) == ("dialect", "costs") and key in f.message


def test_dialect_not_inline(tmp_path):
    pkg = unstamped_copy(tmp_path / "pkg")
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"][0]["dialect"] = "dialect.json"
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    assert rules(pkg) == ["dialect"]


@pytest.mark.parametrize("dialect", [{}, {"lineTerminator": "\r\n"}, {"headerRows": [1], "commentRows": []}])
def test_equivalent_dialects_are_accepted(tmp_path, dialect):
    """What the library reads the same way (or leaves out) is no finding."""
    pkg = unstamped_copy(tmp_path / "pkg")
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for r in d["resources"]:
        r["dialect"] = dialect
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    open_package(pkg)
