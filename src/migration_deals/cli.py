"""The `migration-deals` command: validate, verify, info, build."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _validate(args: argparse.Namespace) -> int:
    from .validation import validate

    report = validate(args.path)
    out = {"text": report.to_text, "json": report.to_json, "github": report.to_github}[args.format]()
    print(out)
    return report.exit_code(args.strict)


def _verify(args: argparse.Namespace) -> int:
    from .integrity import verify

    report = verify(args.path)
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
    for name in pkg.resource_names:
        try:
            with open(pkg.path_of(name), "rb") as fh:
                rows = max(sum(1 for _ in fh) - 1, 0)
        except OSError:
            rows = 0
        print(f"  {name:<12} {rows:>8} rows  {pkg.resource(name)['path']}")
    if report.ok:
        _summary(args.path)
    print(f"validation: {report.summary()}")
    if report.findings:
        print(report.to_text())
    return report.exit_code()


def _summary(path: str | None) -> None:
    """A few headline figures, computed from the loaded data."""
    from .loading import load

    ds = load(path)
    a, t = ds.agreements, ds.transfers
    print(f"agreements by status: " + ", ".join(f"{k} {v}" for k, v in a["status"].value_counts().items() if v))
    pairs = a.groupby(["sending_party", "receiving_party"], observed=True).size()
    print(f"sending-receiving pairs: {len(pairs)}; transfer observations: {len(t)}; cost observations: {len(ds.costs)}")


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
    p.set_defaults(run=_validate)
    p = sub.add_parser("verify", help="prove that the files are the released files (sha256 and size)")
    p.add_argument("path", nargs="?")
    p.set_defaults(run=_verify)
    p = sub.add_parser("info", help="version, resources, row counts, a summary and the validation result")
    p.add_argument("path", nargs="?")
    p.set_defaults(run=_info)
    p = sub.add_parser("build", help="regenerate derived files (descriptor schemas, codebook) in a source checkout")
    p.add_argument("--check", action="store_true", help="fail if a derived file is stale, write nothing")
    p.set_defaults(run=_build)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
