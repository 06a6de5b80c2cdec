"""Integrity: the sha256 hash and byte count stamped on every released resource.

`migration-deals build` stamps them into ``datapackage.json``; `verify()`
proves that the files on disk are the released files. Stock frictionless
checks the same two properties.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .files import Limits
from .package import Package, open_or_report
from .report import Finding, Report

ALGORITHM = "sha256"


def digest(data: bytes) -> str:
    """The descriptor's form of a hash: ``sha256:<hex>``."""
    return f"{ALGORITHM}:{hashlib.sha256(data).hexdigest()}"


def check(pkg: Package, name: str, data: bytes | None = None, copies: bool = True) -> list[Finding]:
    """Findings for one resource whose bytes differ from the stamped hash or size (and, with `copies`, for
    its typed Arrow copy)."""
    resource = pkg.resource(name)
    display = pkg.display(name)
    if "hash" not in resource and "bytes" not in resource:
        return [
            Finding(
                display,
                None,
                None,
                "hash-missing",
                "the descriptor has no hash for this file, so it cannot be proven to be a released file",
                resource=name,
                severity="warning",
            )
        ]
    if data is None:
        from .columns import read_bytes

        data, found = read_bytes(pkg, name)
        if data is None:
            return found
    out = []
    if "bytes" in resource and resource["bytes"] != len(data):
        out.append(
            Finding(
                display,
                None,
                None,
                "bytes-mismatch",
                f"the file has {len(data)} bytes but the release had {resource['bytes']}: it was changed or truncated",
                resource=name,
            )
        )
    if "hash" in resource and resource["hash"] != digest(data):
        out.append(
            Finding(
                display,
                None,
                None,
                "hash-mismatch",
                "the file's sha256 hash differs from the one stamped in the descriptor: it was changed "
                "after release (if you edited it on purpose, run `migration-deals build` to restamp)",
                resource=name,
            )
        )
    return out + (_check_copy(pkg, name) if copies else [])


def _check_copy(pkg: Package, name: str) -> list[Finding]:
    """Findings for a resource's typed Arrow copy that is missing or differs from its stamp (none stamped:
    none). The copy is hashed, never parsed."""
    return copy_bytes(pkg, name)[1]


def copy_bytes(pkg: Package, name: str) -> tuple[bytes | None, list[Finding]]:
    """The bytes of a resource's typed copy if they match its stamp, else None and the finding that says
    why (no finding when no copy is stamped)."""
    from .files import Refused, read_inside
    from .released import STAMP, copy_path

    stamp = pkg.resource(name).get(STAMP)
    if stamp is None:
        return None, []
    display = str(Path(pkg.display_base) / copy_path(name))

    def finding(rule: str, message: str) -> tuple[None, list[Finding]]:
        return None, [Finding(display, None, None, rule, message, resource=name)]

    if not isinstance(stamp, dict) or stamp.get("path") != copy_path(name):
        return finding("descriptor-error", f"the typed copy's stamp must be an object with path {copy_path(name)!r}")
    try:
        data = read_inside(pkg.base / copy_path(name), pkg.base, pkg.limits.file_bytes)
    except Refused as e:
        return finding(e.rule, f"the descriptor stamps a typed copy of this resource, but it is not read: {e}")
    if stamp.get("bytes") != len(data) or stamp.get("hash") != digest(data):
        return finding(
            "hash-mismatch",
            "the typed copy differs from the size or sha256 hash stamped in the descriptor: it was changed "
            "after release (`migration-deals build` writes it again from the CSV file)",
        )
    return data, []


def verify(path: str | Path | None = None, limits: Limits | None = None) -> Report:
    """Prove that a package's files (the installed, bundled one by default) are the released files."""
    report = Report()
    pkg = open_or_report(path, report, limits)
    if pkg is None:
        return report
    for name in pkg.resource_names:
        report.extend(check(pkg, name))
    return report
