"""Row and schema differences between two versions of the data package, and the version bump they need.

Semantic versioning for data (the Frictionless data-package-version recipe):
MAJOR for a removed, renamed or retyped field or a tightened constraint;
MINOR for new rows, resources or fields (or loosened constraints); PATCH for
changed or removed rows' values.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .package import Package, open_package

LEVELS = ("none", "patch", "minor", "major")


@dataclass
class ResourceDiff:
    resource: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Key -> field -> [old, new]."""
    schema: list[str] = field(default_factory=list)
    """Schema changes, one sentence each."""
    level: str = "none"


@dataclass
class PackageDiff:
    old_version: str
    new_version: str
    resources: list[ResourceDiff]

    @property
    def level(self) -> str:
        return max((r.level for r in self.resources), key=LEVELS.index, default="none")

    @property
    def bump(self) -> str:
        """The bump from old_version to new_version: none, patch, minor or major."""
        return bump(self.old_version, self.new_version)

    @property
    def bump_ok(self) -> bool:
        return LEVELS.index(self.bump) >= LEVELS.index(self.level)

    def to_json(self) -> str:
        return json.dumps(
            {
                "old_version": self.old_version,
                "new_version": self.new_version,
                "level": self.level,
                "bump": self.bump,
                "bump_ok": self.bump_ok,
                "resources": [asdict(r) for r in self.resources],
            },
            indent=2,
            ensure_ascii=False,
        )

    def to_text(self, markdown: bool = False) -> str:
        b = "**" if markdown else ""
        lines = [
            f"{'### ' if markdown else ''}Data package {self.old_version} -> {self.new_version}: "
            f"changes need a {b}{self.level}{b} version bump; the versions differ by {self.bump}"
            + ("" if self.bump_ok else " (too small)"),
            "",
        ]
        for r in self.resources:
            if r.level == "none":
                continue
            lines.append(
                f"{'#### ' if markdown else ''}{r.resource}: +{len(r.added)} added, -{len(r.removed)} removed, "
                f"~{len(r.changed)} changed ({r.level})"
            )
            bullet = "- " if markdown else "  "
            lines += [f"{bullet}schema: {s}" for s in r.schema]
            lines += [f"{bullet}added {k}" for k in r.added]
            lines += [f"{bullet}removed {k}" for k in r.removed]
            for k, fields in r.changed.items():
                for name, (old, new) in fields.items():
                    lines.append(f"{bullet}changed {k} {name}: {old!r} -> {new!r}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def bump(old: str, new: str) -> str:
    def parts(v: str) -> tuple[int, int, int]:
        nums = (v.split("+")[0].split("-")[0].split(".") + ["0", "0", "0"])[:3]
        return tuple(int(x) if x.isdigit() else 0 for x in nums)  # type: ignore[return-value]

    o, n = parts(old), parts(new)
    if n[0] > o[0]:
        return "major"
    if n[0] == o[0] and n[1] > o[1]:
        return "minor"
    if n[:2] == o[:2] and n[2] > o[2]:
        return "patch"
    return "none"


def _rows(pkg: Package, name: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    text = pkg.read(name).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    key = list(pkg.schema(name).primary_key) or list(rows[0].keys())[:1] if rows else []
    return key, {"|".join(r.get(k, "") for k in key): r for r in rows}


_TIGHTER = {
    "required": lambda o, n: bool(n) and not o,
    "enum": lambda o, n: o is None and n is not None or (o is not None and n is not None and not set(o) <= set(n)),
    "pattern": lambda o, n: o != n and n is not None,
    "minimum": lambda o, n: n is not None and (o is None or n > o),
}


def _schema_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], str]:
    changes, level = [], "none"

    def at(lv: str) -> None:
        nonlocal level
        level = max(level, lv, key=LEVELS.index)

    of = {f["name"]: f for f in old.get("fields", [])}
    nf = {f["name"]: f for f in new.get("fields", [])}
    for name in of.keys() - nf.keys():
        changes.append(f"field {name} removed")
        at("major")
    for name in nf.keys() - of.keys():
        changes.append(f"field {name} added")
        at("minor")
    for name in of.keys() & nf.keys():
        o, n = of[name], nf[name]
        if o.get("type", "string") != n.get("type", "string"):
            changes.append(f"field {name} retyped {o.get('type', 'string')} -> {n.get('type', 'string')}")
            at("major")
        oc, nc = o.get("constraints", {}), n.get("constraints", {})
        for c in sorted(oc.keys() | nc.keys()):
            if oc.get(c) == nc.get(c):
                continue
            tighter = _TIGHTER.get(c, lambda a, b: b is not None)(oc.get(c), nc.get(c))
            changes.append(
                f"field {name} constraint {c} {'tightened' if tighter else 'loosened'}: {oc.get(c)!r} -> {nc.get(c)!r}"
            )
            at("major" if tighter else "minor")
    if [f["name"] for f in old.get("fields", [])] != [f["name"] for f in new.get("fields", [])] and level == "none":
        changes.append("fields reordered")
        at("major")
    if old.get("primaryKey") != new.get("primaryKey"):
        changes.append(f"primary key {old.get('primaryKey')} -> {new.get('primaryKey')}")
        at("major")
    return changes, level


def diff(old_path: str | Path, new_path: str | Path) -> PackageDiff:
    """Compare two data packages (paths to a datapackage.json or its folder)."""
    old, new = open_package(old_path), open_package(new_path)
    out = []
    for name in dict.fromkeys(old.resource_names + new.resource_names):
        r = ResourceDiff(name)
        if name not in new.resource_names:
            r.schema, r.level = ["resource removed"], "major"
        elif name not in old.resource_names:
            r.schema, r.level = ["resource added"], "minor"
            r.added = list(_rows(new, name)[1])
        else:
            r.schema, r.level = _schema_changes(old.resource(name)["schema"], new.resource(name)["schema"])
            _, o = _rows(old, name)
            _, n = _rows(new, name)
            r.added = [k for k in n if k not in o]
            r.removed = [k for k in o if k not in n]
            for k in o.keys() & n.keys():
                fields = {
                    f: [o[k].get(f, ""), n[k].get(f, "")]
                    for f in dict.fromkeys([*o[k], *n[k]])
                    if o[k].get(f, "") != n[k].get(f, "")
                }
                if fields:
                    r.changed[k] = fields
            r.changed = dict(sorted(r.changed.items()))
            rows_level = "minor" if r.added else "patch" if (r.removed or r.changed) else "none"
            r.level = max(r.level, rows_level, key=LEVELS.index)
        out.append(r)
    return PackageDiff(old.version, new.version, out)


def _git(repo: str | Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def release_commit(version: str, repo: str | Path = ".") -> str | None:
    """The last commit whose datapackage.json carries `version` (``1.0.0`` or ``v1.0.0``), found in the
    history itself, so a clone without tags still finds every release."""
    wanted = version[1:] if version[:1] == "v" else version
    log = _git(repo, "log", "--format=%H", "--", "datapackage/datapackage.json")
    for commit in log.stdout.decode().split():
        shown = _git(repo, "show", f"{commit}:datapackage/datapackage.json")
        try:
            if json.loads(shown.stdout).get("version") == wanted:
                return commit
        except (ValueError, AttributeError):
            continue
    return None


def resolve(revision: str, repo: str | Path = ".") -> str:
    """A git revision as given, or else the commit of the release with that version number."""
    if _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode == 0:
        return revision
    commit = release_commit(revision, repo)
    if commit is None:
        raise subprocess.CalledProcessError(1, ["git", "rev-parse", revision])
    return commit


def checkout(revision: str, repo: str | Path = ".") -> Path:
    """The data package folder as it was at a git revision (or release version) of this repository,
    in a temporary folder."""
    revision = resolve(revision, repo)
    target = Path(tempfile.mkdtemp(prefix="migration-deals-"))
    files = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", revision, "datapackage/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for f in filter(None, files):
        inside = Path(f).relative_to("datapackage")
        if ".." in inside.parts:
            continue
        data = subprocess.run(
            ["git", "-C", str(repo), "show", f"{revision}:{f}"], capture_output=True, check=True
        ).stdout
        (target / inside).parent.mkdir(parents=True, exist_ok=True)
        (target / inside).write_bytes(data)
    return target
