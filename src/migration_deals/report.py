"""Findings of a validation run, and how they are printed.

A finding names the place a contributor has to fix (file, line, field), the
value found there, the rule it breaks and why, so that a report reads like a
compiler's error list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
MAX_MESSAGE = 600
"""Longest message or path a finding carries, in characters."""


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place in the data package."""

    path: str
    """File the problem is in, relative to the package (or the path given)."""
    line: int | None
    """Physical line in that file (1 is the CSV header), or None for a whole file."""
    field: str | None
    """Column name, or None when the problem is not one cell's."""
    rule: str
    """Short, stable name of the rule (see the codebook's list of rules)."""
    message: str
    """What is wrong and how to fix it."""
    value: str | None = None
    """The offending value as written in the file."""
    resource: str | None = None
    severity: Severity = "error"

    def __post_init__(self) -> None:
        # a report never carries more than a short, escaped excerpt of what a file holds
        from .files import excerpt

        if self.value is not None:
            object.__setattr__(self, "value", excerpt(str(self.value)))
        object.__setattr__(self, "message", excerpt(self.message, MAX_MESSAGE) or "")
        object.__setattr__(self, "path", excerpt(self.path, MAX_MESSAGE) or "")
        if self.field is not None:
            object.__setattr__(self, "field", excerpt(self.field, 80))

    def to_text(self) -> str:
        place = self.path + (f":{self.line}" if self.line else "")
        where = f" [{self.field}]" if self.field else ""
        shown = f" (value: {self.value!r})" if self.value is not None else ""
        return f"{place}:{where} {self.severity} {self.rule}: {self.message}{shown}"

    def to_github(self) -> str:
        kind = "error" if self.severity == "error" else "warning"
        loc = f"file={self.path}" + (f",line={self.line}" if self.line else "")
        text = self.message + (f" (value: {self.value!r})" if self.value is not None else "")
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        field_ = f" [{self.field}]" if self.field else ""
        return f"::{kind} {loc},title={self.rule}{field_}::{text}"


@dataclass
class Report:
    """All findings of one run. `usable` is False when nothing could be checked."""

    findings: list[Finding] = field(default_factory=list)
    usable: bool = True

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when the package is usable and has no errors (warnings allowed)."""
        return self.usable and not self.errors

    def exit_code(self, strict: bool = False) -> int:
        """The CLI's exit status: 0 clean, 1 errors (or, when strict, warnings), 2 unusable input."""
        if not self.usable:
            return 2
        return 1 if self.errors or (strict and self.warnings) else 0

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.path, f.line or 0, f.field or "", f.rule))

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        if not self.usable:
            return f"unusable: {e} error(s), nothing further could be checked"
        return "valid" if not (e or w) else f"{e} error(s), {w} warning(s)"

    def to_text(self) -> str:
        return "\n".join([f.to_text() for f in self.sorted()] + [self.summary()])

    def to_github(self) -> str:
        return "\n".join([f.to_github() for f in self.sorted()] + [self.summary()])

    def to_json(self) -> str:
        return json.dumps(
            {
                "valid": self.ok,
                "usable": self.usable,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": [asdict(f) for f in self.sorted()],
            },
            indent=2,
            ensure_ascii=False,
        )

    def __str__(self) -> str:
        return self.to_text()


class DataPackageError(Exception):
    """Raised by `load()` when a package cannot be loaded without losing or coercing data."""

    def __init__(self, report: Report) -> None:
        self.report = report
        errors = [f for f in report.sorted() if f.severity == "error"]
        shown = errors[:20]
        more = len(errors) - len(shown)
        lines = [f.to_text() for f in shown] + ([f"... and {more} more"] if more > 0 else [])
        super().__init__("the data package has errors:\n" + "\n".join(lines))
