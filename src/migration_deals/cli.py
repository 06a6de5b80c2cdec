"""The `migration-deals` command: validate, verify, info, fmt, diff, coverage, export, site, build."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _limits(args: argparse.Namespace):  # noqa: ANN202
    from .files import Limits

    return Limits.parse(getattr(args, "limit", None) or [])


def _validate(args: argparse.Namespace) -> int:
    from .validation import validate

    report = validate(args.path, _limits(args))
    out = {"text": report.to_text, "json": report.to_json, "github": report.to_github}[args.format]()
    print(out)
    return report.exit_code(args.strict)


def _verify(args: argparse.Namespace) -> int:
    from .integrity import verify

    report = verify(args.path, _limits(args))
    print(report.to_text() if report.findings else "verified: every file matches the hash and size stamped at release")
    return report.exit_code(strict=True)


def _info(args: argparse.Namespace) -> int:
    from . import __version__
    from .package import UnusablePackage, open_package
    from .validation import validate

    try:
        pkg = open_package(args.path)
    except UnusablePackage as e:
        print(e.finding.to_text())
        return 2
    report = validate(args.path)
    print(f"migration-deals {__version__}")
    print(f"data package: {pkg.descriptor.get('name', '?')} {pkg.version} (data as of {pkg.as_of})")
    print(f"location: {pkg.descriptor_path}")
    from .columns import read_bytes, read_raw

    for name in pkg.resource_names:
        data, _ = read_bytes(pkg, name)
        raw = read_raw(data, pkg.display(name), name, pkg.limits)[0] if data is not None else None
        rows = "?" if raw is None else str(len(raw.frame))
        print(f"  {name:<12} {rows:>8} rows  {pkg.resource(name)['path']}")
    if report.ok:
        _summary(args.path)
    print(f"validation: {report.summary()}")
    if report.errors:
        print(report.to_text())
    elif report.warnings:
        print("  (warnings are worth a look but do not fail: `migration-deals validate` lists them)")
    stamped = all("hash" in pkg.resource(name) for name in pkg.resource_names)
    tampered = [f.path for f in report.findings if f.rule in ("hash-mismatch", "bytes-mismatch")]
    if not stamped:
        print("integrity: no release hashes (a working copy; `migration-deals build` stamps them)")
    else:
        differ = "files differ from the release: " + ", ".join(sorted(set(tampered)))
        print(f"integrity: {differ if tampered else 'files match the release hashes'}")
    return report.exit_code()


def _summary(path: str | None) -> None:
    """A few headline figures, computed from the loaded data."""
    from .loading import load

    ds = load(path)
    a, t = ds.agreements, ds.transfers
    print("agreements by status: " + ", ".join(f"{k} {v}" for k, v in a["status"].value_counts().items() if v))
    pairs = a.groupby(["sending_party", "receiving_party"], observed=True).size()
    print(f"sending-receiving pairs: {len(pairs)}; transfer observations: {len(t)}; cost observations: {len(ds.costs)}")
    counted = []
    for movement in ("transferred", "intercepted", "turned_back", "returned", "onward"):
        moved = ds.people_moved(by="programme", movement=movement)
        if len(moved):
            counted.append(f"{movement} {int(moved['people_low'].sum()):,}")
    print("people, each counted once (lower bounds, all deals): " + ", ".join(counted))


def _fmt(args: argparse.Namespace) -> int:
    from .canonical import format_package

    changed, report = format_package(args.path, check=args.check)
    for finding in report.findings:
        print(finding.to_text())
    for path in changed:
        print(f"{'not canonical' if args.check else 'formatted'}: {path}")
    if not report.usable:
        return 2
    if changed and not args.check:
        print("run `migration-deals build` to restamp the hashes of changed files", file=sys.stderr)
    return 1 if report.findings or (args.check and changed) else 0


def _package_arg(value: str) -> str:
    """A path, or a git revision of this repository (checked out to a temporary folder)."""
    from pathlib import Path

    from .diff import checkout

    if Path(value).exists():
        return value
    return str(checkout(value))


def _diff(args: argparse.Namespace) -> int:
    import subprocess

    from .diff import diff
    from .package import UnusablePackage

    try:
        result = diff(_package_arg(args.old), _package_arg(args.new))
    except UnusablePackage as e:
        print(e.finding.to_text())
        return 2
    except subprocess.CalledProcessError:
        print(f"neither a data package path nor a git revision: {args.old} or {args.new}")
        return 2
    print(result.to_json() if args.format == "json" else result.to_text(markdown=args.format == "markdown"), end="")
    if args.check_version and not result.bump_ok:
        print(f"version bump {result.bump} is smaller than the {result.level} bump these changes need", file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from .export import export
    from .loading import load
    from .report import DataPackageError

    try:
        written = export(load(args.path), args.to, args.directory)
    except DataPackageError as e:
        print(e)
        return 2
    except ImportError as e:
        print(e, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote: {path}")
    return 0


def _site(args: argparse.Namespace) -> int:
    from .loading import load
    from .report import DataPackageError
    from .site import build_site, site_size

    try:
        written = build_site(load(args.path), args.directory)
    except DataPackageError as e:
        print(e)
        return 2
    pages = sum(1 for p in written if p.suffix == ".html")
    print(f"wrote {pages} pages ({len(written)} files, {site_size(written):,} bytes) to {args.directory}")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from .coverage import coverage, to_json, to_text
    from .report import DataPackageError

    try:
        cov = coverage(args.path)
    except DataPackageError as e:
        print(e)
        return 2
    print(to_json(cov) if args.format == "json" else to_text(cov))
    return 0


def _build(args: argparse.Namespace) -> int:
    from .build import build

    stale = build(check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `migration-deals build` and commit the result", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="migration-deals", description=__doc__)
    parser.add_argument("--version", action="version", version=f"migration-deals {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a data package and list every finding")
    p.add_argument("path", nargs="?", help="datapackage.json or its folder (default: the bundled package)")
    p.add_argument("--format", choices=["text", "json", "github"], default="text")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    limit_help = "raise a reading limit, NAME=N (file_bytes, descriptor_bytes, json_depth, cell_chars, columns)"
    p.add_argument("--limit", action="append", metavar="NAME=N", help=limit_help)
    p.set_defaults(run=_validate)
    p = sub.add_parser("verify", help="prove that the files are the released files (sha256 and size)")
    p.add_argument("path", nargs="?")
    p.add_argument("--limit", action="append", metavar="NAME=N", help=limit_help)
    p.set_defaults(run=_verify)
    p = sub.add_parser("info", help="version, resources, row counts, a summary and the validation result")
    p.add_argument("path", nargs="?")
    p.set_defaults(run=_info)
    p = sub.add_parser("fmt", help="rewrite the CSV files in canonical form (values unchanged)")
    p.add_argument("path", nargs="?")
    p.add_argument("--check", action="store_true", help="exit 1 if a file is not canonical, write nothing")
    p.set_defaults(run=_fmt)
    p = sub.add_parser("diff", help="rows and schema changed between two packages or git revisions")
    p.add_argument("old", help="data package path, or a git revision such as v0.1.0 or main")
    p.add_argument(
        "new", nargs="?", default="datapackage", help="data package path or git revision (default: datapackage)"
    )
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument("--check-version", action="store_true", help="exit 1 if the version bump is smaller than needed")
    p.set_defaults(run=_diff)
    p = sub.add_parser("coverage", help="per agreement: what the dataset knows and what is missing")
    p.add_argument("path", nargs="?")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_coverage)
    p = sub.add_parser("export", help="write every table to parquet, sqlite, duckdb, xlsx or json files")
    p.add_argument("--to", required=True, metavar="FMT", choices=["parquet", "sqlite", "duckdb", "xlsx", "json"])
    p.add_argument("directory", help="folder to write into (created if needed)")
    p.add_argument("--package", dest="path", help="datapackage.json or its folder (default: the bundled package)")
    p.set_defaults(run=_export)
    p = sub.add_parser("site", help="write a static explorer site (HTML pages, one CSS and one JS file, no network)")
    p.add_argument("directory", help="folder to write into (created if needed)")
    p.add_argument("--package", dest="path", help="datapackage.json or its folder (default: the bundled package)")
    p.set_defaults(run=_site)
    p = sub.add_parser("build", help="regenerate derived files (descriptor schemas, codebook) in a source checkout")
    p.add_argument("--check", action="store_true", help="fail if a derived file is stale, write nothing")
    p.set_defaults(run=_build)
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a report never crashes on a terminal that is not UTF-8
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        if getattr(args, "limit", None):
            _limits(args)
    except ValueError as e:
        parser.error(str(e))
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
