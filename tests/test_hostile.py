"""A hostile contributor's pull request: nothing it sends can read, leak, hang, write or crash anything.

Each class of attack in SECURITY.md has tests here. A case passes only when there is no traceback, the
exit status is right, and the finding names the file (and, for a cell, the line). An audit hook watches
every file the library opens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import run, unstamped_copy

import migration_deals as md

SECRET = "md-secret-value-4f1c"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def pkg(tmp_path) -> Path:
    return unstamped_copy(tmp_path / "pkg")


def descriptor(pkg: Path) -> dict:
    return json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(pkg: Path, d: dict) -> None:
    (pkg / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")


def schema(d: dict, resource: str) -> dict:
    return next(r for r in d["resources"] if r["name"] == resource)["schema"]


def field(d: dict, resource: str, name: str) -> dict:
    return next(f for f in schema(d, resource)["fields"] if f["name"] == name)


def found(path, **kw) -> list[tuple]:
    report = md.validate(path, **kw)
    return [(Path(f.path).name, f.line, f.field, f.rule) for f in report.findings if f.severity == "error"]


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command in a fresh process, so a hang is a timeout and a crash is a traceback on stderr."""
    return subprocess.run(
        [sys.executable, "-m", "migration_deals.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


# --- the audit hook: every file opened, and how ----------------------------------------------------

_OPENED: list[tuple[str, str, int]] = []
_WATCH = threading.local()


def _hook(event: str, args: tuple) -> None:
    if event == "open" and getattr(_WATCH, "on", False) and args and isinstance(args[0], str | bytes | os.PathLike):
        path = os.fsdecode(args[0])
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        _OPENED.append((path, mode or "", flags))


sys.addaudithook(_hook)
_ALLOWED = tuple(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, *sys.path} if p) + (
    "/sys/fs/cgroup/",  # pandas reads the machine's CPU quota at a fixed path before parsing a CSV
)


def watched(func, *args, **kwargs):
    """Run func and return (its result or exception, the files it opened outside Python's own folders)."""
    import migration_deals.aggregate  # noqa: F401  (imports open files; do them before watching)
    import migration_deals.loading  # noqa: F401
    import migration_deals.rules  # noqa: F401

    _OPENED.clear()
    _WATCH.on = True
    try:
        result = func(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 (the caller checks which)
        result = e
    finally:
        _WATCH.on = False
    return result, list(_OPENED)


def assert_stays_inside(opened: list[tuple[str, str, int]], package: Path) -> None:
    inside = str(package.resolve())
    for path, mode, flags in opened:
        real = str(Path(path).resolve()) if path else path
        assert real.startswith(inside) or real.startswith(_ALLOWED), f"opened outside the package: {path}"
        writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
        assert not (flags & writes) and not any(c in mode for c in "wax+"), f"opened for writing: {path}"


# --- 1. reading outside the package ------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ", "/dev/zero", "../outside.csv"])
def test_a_link_out_of_the_package_is_not_followed(pkg, target, monkeypatch):
    monkeypatch.setenv("MD_TEST_SECRET", SECRET)
    (pkg.parent / "outside.csv").write_text(f"party_id,name,kind\nGBR,{SECRET},state\n", encoding="utf-8")
    (pkg / "parties.csv").unlink()
    os.symlink(target, pkg / "parties.csv")
    report, opened = watched(md.validate, pkg)
    assert [(f.rule, Path(f.path).name) for f in report.findings] == [("unsafe-path", "parties.csv")]
    assert SECRET not in report.to_json() and "root:" not in report.to_json()
    assert_stays_inside(opened, pkg)
    error, opened = watched(md.load, pkg)
    assert isinstance(error, md.DataPackageError) and SECRET not in str(error)
    assert_stays_inside(opened, pkg)


def test_a_link_inside_the_package_is_read(pkg):
    (pkg / "data").mkdir()
    (pkg / "parties.csv").rename(pkg / "data" / "parties.csv")
    os.symlink("data/parties.csv", pkg / "parties.csv")
    assert found(pkg) == []


def test_a_descriptor_that_links_out_is_not_read(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "secret.json").write_text(json.dumps({"resources": [{"name": SECRET}]}), encoding="utf-8")
    os.symlink(tmp_path / "secret.json", tmp_path / "pkg" / "datapackage.json")
    report = md.validate(tmp_path / "pkg")
    assert [f.rule for f in report.findings] == ["unsafe-path"] and report.exit_code() == 2
    assert SECRET not in report.to_json()


def test_a_named_pipe_never_blocks(pkg):
    (pkg / "parties.csv").unlink()
    os.mkfifo(pkg / "parties.csv")
    result = cli("validate", str(pkg), timeout=60)
    assert result.returncode == 1 and "special-file" in result.stdout and "Traceback" not in result.stderr


def test_a_socket_or_folder_is_not_read(pkg, tmp_path):
    (pkg / "parties.csv").unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    short = Path("/tmp") / f"md-{os.getpid()}.sock"  # socket paths are short; link it into the package
    try:
        server.bind(str(short))
        os.symlink(short, pkg / "parties.csv")
        assert ("parties.csv", None, None, "unsafe-path") in found(pkg)
        os.unlink(pkg / "parties.csv")
        (pkg / "parties.csv").mkdir()
        assert ("parties.csv", None, None, "special-file") in found(pkg)
    finally:
        server.close()
        short.unlink(missing_ok=True)


def test_a_device_inside_the_package_is_not_read(pkg):
    (pkg / "parties.csv").unlink()
    try:
        os.mknod(pkg / "parties.csv", 0o600 | 0o020000, os.makedev(1, 5))  # a character device like /dev/zero
    except (PermissionError, OSError):
        pytest.skip("this machine does not let the tests make a device node")
    assert ("parties.csv", None, None, "special-file") in found(pkg)


@pytest.mark.parametrize(
    "path", ["../parties.csv", "/etc/passwd", "a/../../x.csv", "C:x.csv", "https://x/y.csv", "parties.csv\x00.txt"]
)
def test_resource_paths_stay_inside(pkg, path):
    d = descriptor(pkg)
    d["resources"][0]["path"] = path
    write_descriptor(pkg, d)
    report = md.validate(pkg)
    assert [f.rule for f in report.findings] == ["unsafe-path"] and report.exit_code() == 2


def test_a_nul_byte_in_the_package_path(capsys):
    code, out = run(capsys, "validate", "data\x00package")
    assert code == 2 and "unsafe-path" in out


def test_validate_and_load_never_write(pkg):
    before = {p: p.stat().st_mtime_ns for p in pkg.rglob("*")}
    for func in (md.validate, md.load, md.verify):
        _, opened = watched(func, pkg)
        assert_stays_inside(opened, pkg)
    assert {p: p.stat().st_mtime_ns for p in pkg.rglob("*")} == before


# --- 2. the descriptor is data too ------------------------------------------------------------------


def _break(d: dict, how: str) -> None:
    t = schema(d, "transfers")
    if how == "primary key names no field":
        t["primaryKey"] = ["no_such_field"]
    elif how == "foreign key names no field":
        t["foreignKeys"][0]["fields"] = ["no_such_field"]
    elif how == "foreign key to no resource":
        t["foreignKeys"][0]["reference"]["resource"] = "no_such_resource"
    elif how == "foreign key to no field":
        t["foreignKeys"][0]["reference"]["fields"] = ["no_such_field"]
    elif how == "foreign key malformed":
        t["foreignKeys"][0] = "agreement_id"
    elif how == "invalid pattern":
        field(d, "transfers", "transfer_id")["constraints"]["pattern"] = "[a-z"
    elif how == "back-reference":
        field(d, "transfers", "transfer_id")["constraints"]["pattern"] = r"(a)\1"
    elif how == "string minimum":
        field(d, "transfers", "people")["constraints"]["minimum"] = "0"
    elif how == "boolean required as text":
        field(d, "transfers", "people")["constraints"]["required"] = "yes"
    elif how == "huge minimum":
        field(d, "transfers", "people")["constraints"]["minimum"] = 10**400
    elif how == "enum of numbers":
        field(d, "transfers", "measure")["constraints"]["enum"] = [1, 2]
    elif how == "unknown constraint":
        field(d, "transfers", "notes")["constraints"] = {"maxLength": 10}
    elif how == "unknown type":
        field(d, "transfers", "people")["type"] = "geopoint"
    elif how == "two fields one name":
        t["fields"].append(dict(t["fields"][0]))
    elif how == "latin-1 encoding":
        d["resources"][3]["encoding"] = "latin-1"
    elif how == "unknown encoding":
        d["resources"][3]["encoding"] = "klingon-8"
    elif how == "not csv":
        d["resources"][3]["format"] = "xlsx"
    elif how == "fields not a list":
        t["fields"] = {"a": 1}
    elif how == "missing values not strings":
        t["missingValues"] = [None]
    elif how == "resources not a list":
        d["resources"] = "all"


BREAKS = [
    "primary key names no field",
    "foreign key names no field",
    "foreign key to no resource",
    "foreign key to no field",
    "foreign key malformed",
    "invalid pattern",
    "back-reference",
    "string minimum",
    "boolean required as text",
    "huge minimum",
    "enum of numbers",
    "unknown constraint",
    "unknown type",
    "two fields one name",
    "latin-1 encoding",
    "unknown encoding",
    "not csv",
    "fields not a list",
    "missing values not strings",
    "resources not a list",
]


@pytest.mark.parametrize("how", BREAKS)
def test_a_hostile_schema_is_one_finding_and_exit_2(pkg, capsys, how):
    d = descriptor(pkg)
    _break(d, how)
    write_descriptor(pkg, d)
    report = md.validate(pkg)
    assert len(report.findings) == 1 and report.exit_code() == 2, report.to_text()
    assert report.findings[0].path.endswith("datapackage.json")
    code, _ = run(capsys, "validate", str(pkg))
    assert code == 2
    with pytest.raises(md.DataPackageError):
        md.load(pkg)


def test_deep_json_is_a_finding(pkg):
    (pkg / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    report = md.validate(pkg)
    assert [f.rule for f in report.findings] == ["descriptor-error"] and "deeper" in report.findings[0].message


def test_json_depth_limit_can_be_raised(pkg):
    d = descriptor(pkg)
    d["deep"] = json.loads("[" * 70 + "]" * 70)
    write_descriptor(pkg, d)
    assert [f.rule for f in md.validate(pkg).findings if f.severity == "error"] == ["descriptor-error"]
    assert found(pkg, limits=md.Limits(json_depth=100)) == []


def test_a_catastrophic_pattern_does_not_hang(pkg):
    d = descriptor(pkg)
    field(d, "parties", "name")["constraints"]["pattern"] = "(a+)+$"
    write_descriptor(pkg, d)
    text = (pkg / "parties.csv").read_text(encoding="utf-8").splitlines()
    text[1] = text[1].split(",")[0] + "," + "a" * 50_000 + "b," + text[1].split(",")[-1]
    (pkg / "parties.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    result = cli("validate", str(pkg), timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "parties.csv:2: [name] error pattern" in result.stdout


# --- 3. numbers and dates ---------------------------------------------------------------------------


def _rows(pkg: Path, resource: str) -> list[list[str]]:
    import csv

    with (pkg / f"{resource}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _cell(pkg: Path, resource: str, line: int, name: str, value: str) -> None:
    """Set one cell, writing the file back in its canonical form (no cell holds a line break)."""
    import csv
    import io

    rows = _rows(pkg, resource)
    rows[line - 1][rows[0].index(name)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (pkg / f"{resource}.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")


def _first_line_of(pkg: Path, resource: str, row_id: str) -> int:
    return next(i + 1 for i, row in enumerate(_rows(pkg, resource)) if row[0] == row_id)


@pytest.mark.parametrize(
    "value, rule",
    [
        ("NaN", "non-finite"),
        ("INF", "non-finite"),
        ("-INF", "non-finite"),
        ("1e999", "non-finite"),
        ("1" * 400, "non-finite"),
    ],
)
def test_amounts_are_finite(pkg, value, rule):
    line = _first_line_of(pkg, "costs", "aus-khm-2014-40m")
    _cell(pkg, "costs", line, "amount", value)
    assert found(pkg) == [("costs.csv", line, "amount", rule)]
    with pytest.raises(md.DataPackageError, match=rule):
        md.load(pkg)


@pytest.mark.parametrize("value", ["9" * 19, "-" + "9" * 30, "1" + "0" * 4000])
def test_integers_beyond_64_bits_are_a_finding(pkg, value):
    line = _first_line_of(pkg, "transfers", "aus-khm-2015-06-first-4")
    _cell(pkg, "transfers", line, "people", value)
    rules = found(pkg)
    assert rules == [("transfers.csv", line, "people", "out-of-range")]


def test_dates_before_1900_are_a_finding(pkg):
    line = _first_line_of(pkg, "transfers", "aus-khm-2015-06-first-4")
    _cell(pkg, "transfers", line, "period_start", "1066")
    assert ("transfers.csv", line, "period_start", "date-range") in found(pkg)


def test_dates_after_as_of_are_a_finding(pkg):
    line = _first_line_of(pkg, "transfers", "aus-khm-2015-06-first-4")
    _cell(pkg, "transfers", line, "period_end", "9999")
    assert ("transfers.csv", line, "period_end", "future-date") in found(pkg)


# --- 4. one line-counting truth ---------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_counts_lines_alike(pkg, newline):
    text = (pkg / "parties.csv").read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace(",state", ",planet")
    (pkg / "parties.csv").write_bytes(newline.join(text).encode("utf-8") + newline.encode())
    assert found(pkg) == [("parties.csv", 6, "kind", "enum")]


def test_an_unterminated_quote_names_its_line(pkg):
    with (pkg / "parties.csv").open("a", encoding="utf-8") as fh:
        fh.write('ZZZ,"never closed,state\nmore text\n')
    lines = (pkg / "parties.csv").read_text(encoding="utf-8").count("\n")
    assert found(pkg) == [("parties.csv", lines - 1, None, "csv-error")]


def test_a_file_cut_inside_a_quoted_cell_names_its_line(pkg):
    data = (pkg / "sources.csv").read_bytes()
    start = data.index(b',"', 2000) + 1
    cut = data[: start + 5]
    (pkg / "sources.csv").write_bytes(cut)
    line = cut.count(b"\n") + 1
    assert found(pkg) == [("sources.csv", line, None, "csv-error")]


# --- 5. load never accepts what validate rejects -----------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "a\u202eb", "=cmd|' /C calc'!A0"])
def test_load_refuses_what_validate_rejects(pkg, value):
    _cell(pkg, "parties", 2, "name", value)
    assert ("parties.csv", 2, "name", "text-hygiene") in found(pkg)
    with pytest.raises(md.DataPackageError, match="text-hygiene"):
        md.load(pkg)


def test_a_header_only_table_is_a_finding(pkg):
    head = (pkg / "costs.csv").read_text(encoding="utf-8").splitlines()[0]
    (pkg / "costs.csv").write_text(head + "\n", encoding="utf-8")
    assert ("costs.csv", 1, None, "empty-table") in found(pkg)
    with pytest.raises(md.DataPackageError):
        md.load(pkg)


def test_a_layer_two_error_stops_load(pkg):
    line = _first_line_of(pkg, "agreements", "aus-khm-2014-mou")
    _cell(pkg, "agreements", line, "receiving_party", "AUS")
    assert ("agreements.csv", line, "receiving_party", "same-party") in found(pkg)
    with pytest.raises(md.DataPackageError, match="same-party"):
        md.load(pkg)


def _stamp(pkg: Path) -> None:
    """Stamp every file's hash and size in the descriptor, as anyone can."""
    from migration_deals.integrity import digest

    d = descriptor(pkg)
    for r in d["resources"]:
        data = (pkg / r["path"]).read_bytes()
        r["hash"], r["bytes"] = digest(data), len(data)
    write_descriptor(pkg, d)


@pytest.mark.parametrize(
    "resource, field_name, value, rule",
    [
        ("transfers", "people", "abc", "type-error"),  # a typed read of it would raise, not report
        ("parties", "name", "a\x00b", "text-hygiene"),  # reads as text; only the rules see it
    ],
)
def test_stamped_hashes_do_not_make_a_package_a_release(pkg, resource, field_name, value, rule):
    _cell(pkg, resource, 2, field_name, value)
    _stamp(pkg)
    assert md.verify(pkg).ok  # every file matches its stamp: the stamps prove no more than that
    assert (f"{resource}.csv", 2, field_name, rule) in found(pkg)
    with pytest.raises(md.DataPackageError, match=rule):
        md.load(pkg)


def test_a_copy_of_the_release_is_read_as_the_release(tmp_path, monkeypatch):
    import shutil

    from migration_deals import loading

    dst = tmp_path / "release"
    shutil.copytree(md.bundled_path().parent, dst)
    monkeypatch.setattr(loading, "check_tables", lambda *a: pytest.fail("a copy of the release was validated"))
    assert len(md.load(dst).transfers) == len(md.load().transfers)


# --- 6. limits and the size of a report --------------------------------------------------------------


def test_a_huge_cell_is_cut_in_the_report(pkg):
    _cell(pkg, "parties", 2, "name", "x" * 20_000_000)
    report = md.validate(pkg)
    assert [(Path(f.path).name, f.line, f.field, f.rule) for f in report.findings] == [
        ("parties.csv", 2, "name", "cell-too-large")
    ]
    assert len(report.to_json()) < 5_000 and "more characters" in report.findings[0].value


def test_a_long_value_under_the_limit_is_cut_in_the_report(pkg):
    _cell(pkg, "parties", 2, "kind", "y" * 50_000)
    report = md.validate(pkg)
    assert len(report.to_json()) < 5_000
    assert all(len(f.value or "") < 200 for f in report.findings)


def test_values_are_escaped_in_the_report(pkg):
    _cell(pkg, "parties", 2, "kind", "a\x1b[31mred\u202e")
    text = md.validate(pkg).to_text()
    assert "\x1b" not in text and "\u202e" not in text and "\\x1b" in text and "\\u202e" in text


@pytest.mark.parametrize(
    "limit, rule",
    [
        ({"file_bytes": 1000}, "file-too-large"),
        ({"cell_chars": 10}, "cell-too-large"),
        ({"columns": 3}, "too-many-columns"),
        ({"descriptor_bytes": 1000}, "file-too-large"),
    ],
)
def test_limits_give_a_finding_and_can_be_raised(pkg, limit, rule):
    report = md.validate(pkg, limits=md.Limits(**limit))
    assert rule in {f.rule for f in report.findings}
    assert found(pkg) == []


def test_limits_from_the_command_line(pkg, capsys):
    code, out = run(capsys, "validate", str(pkg), "--limit", "file_bytes=150000")  # sources.csv is larger
    assert code == 1 and "sources.csv: error file-too-large" in out
    assert run(capsys, "validate", str(pkg), "--limit", "file_bytes=900000000")[0] == 0
    with pytest.raises(SystemExit) as e:
        main_with("validate", str(pkg), "--limit", "nonsense=1")
    assert e.value.code == 2


def main_with(*args: str) -> int:
    from migration_deals.cli import main

    return main(list(args))


def test_a_report_on_a_terminal_that_is_not_utf8(pkg):
    _cell(pkg, "parties", 2, "kind", "Ünïcødé")
    result = cli("validate", str(pkg), env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 1 and "Traceback" not in result.stderr and "enum" in result.stdout


# --- 7. fuzzers: any descriptor, any bytes ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


_BASE = json.loads(md.bundled_path().read_text(encoding="utf-8"))
_PATHS = [p for p in _paths(_BASE) if p]


@FUZZ
@given(st.data())
def test_fuzz_the_descriptor(tmp_path_factory, data):
    """Replace any part of the descriptor with any JSON: a report comes back, never an exception."""
    pkg = unstamped_copy(tmp_path_factory.mktemp("fuzz") / "pkg")
    d = descriptor(pkg)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(_PATHS))
        node = d
        try:
            for k in where[:-1]:
                node = node[k]
            node[where[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    write_descriptor(pkg, d)
    report, opened = watched(md.validate, pkg)
    assert isinstance(report, md.Report), report
    assert report.exit_code() in (0, 1, 2)
    if not report.usable:
        assert len(report.findings) == 1
    assert_stays_inside(opened, pkg)
    loaded, _ = watched(md.load, pkg)
    assert isinstance(loaded, md.Dataset | md.DataPackageError), loaded


@FUZZ
@given(st.sampled_from(["parties", "transfers", "costs"]), st.binary(max_size=400), st.integers(0, 2000))
def test_fuzz_the_csv_bytes(tmp_path_factory, resource, junk, at):
    """Splice any bytes into a data file: findings name the file, and a line where one exists."""
    pkg = unstamped_copy(tmp_path_factory.mktemp("fuzz") / "pkg")
    data = (pkg / f"{resource}.csv").read_bytes()
    at = min(at, len(data))
    (pkg / f"{resource}.csv").write_bytes(data[:at] + junk + data[at:])
    report, opened = watched(md.validate, pkg)
    assert isinstance(report, md.Report), report
    assert report.exit_code() in (0, 1)
    for f in report.findings:
        assert f.path
        if f.path.endswith(f"{resource}.csv") and f.severity == "error":
            assert f.line is not None, f
    assert_stays_inside(opened, pkg)
    loaded, _ = watched(md.load, pkg)
    assert isinstance(loaded, md.Dataset | md.DataPackageError), loaded
    if isinstance(loaded, md.Dataset):
        assert report.ok


@pytest.mark.parametrize("stated", [0, 10, 1 << 20])
def test_a_file_that_grows_while_read_is_read_whole_or_refused(tmp_path, monkeypatch, stated):
    """A file larger than the size it states when opened (it grew) is still read to its end, within the
    limit; past the limit it is refused, never cut short."""
    from migration_deals import files

    path = tmp_path / "grown.csv"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    real_fstat = os.fstat

    def smaller(fd):
        result = real_fstat(fd)
        return os.stat_result((*result[:6], min(stated, result.st_size), *result[7:]))

    monkeypatch.setattr(files.os, "fstat", smaller)
    assert files.read_inside(path, tmp_path, 4 << 20) == data
    with pytest.raises(files.Refused) as refused:
        files.read_inside(path, tmp_path, 2 << 20)
    assert refused.value.rule == "file-too-large"
