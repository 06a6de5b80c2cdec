"""Reading a package's files without trusting them: bounded, regular files inside the package only.

A pull request can commit a symbolic link, and a descriptor can name any path. Every file the
library reads goes through `read_inside`, which keeps the promises of SECURITY.md: it reads only a
regular file that resolves inside the package folder, never a device, pipe, socket or `/proc` entry,
never more than the limit, and it never blocks on a file that has no end.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields, replace
from pathlib import Path

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How much the library reads before it stops with a finding. Raise one with
    ``md.validate(path, limits=md.Limits(file_bytes=2 << 30))`` or ``--limit file_bytes=2147483648``."""

    file_bytes: int = 512 * MiB
    """Largest CSV file read."""
    descriptor_bytes: int = 16 * MiB
    """Largest datapackage.json read."""
    json_depth: int = 64
    """Deepest nesting of objects and lists in the descriptor."""
    cell_chars: int = 100_000
    """Longest cell, in characters."""
    columns: int = 1_000
    """Most columns in a CSV file."""
    excerpt_chars: int = 120
    """Longest excerpt of a value put into a finding."""

    @classmethod
    def parse(cls, items: list[str]) -> Limits:
        """Limits from ``name=number`` strings (the CLI's ``--limit``); raises ValueError naming the problem."""
        known = {f.name for f in fields(cls)}
        out = cls()
        for item in items:
            name, _, value = item.partition("=")
            if name not in known or not value.isdigit() or int(value) < 1:
                raise ValueError(f"--limit takes NAME=POSITIVE_INTEGER with NAME one of {', '.join(sorted(known))}")
            out = replace(out, **{name: int(value)})
        return out


class Refused(Exception):
    """A file the library will not read; `rule` and the message say why."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


_SYSTEM = ("/proc", "/sys", "/dev")


def read_inside(path: Path, base: Path, limit: int) -> bytes:
    """The bytes of `path`, which must resolve to a regular file inside `base`, at most `limit` bytes."""
    try:
        root = base.resolve(strict=True)
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise Refused("missing-file", "the file does not exist") from None
    except (OSError, RuntimeError, ValueError) as e:  # a link loop, a NUL byte, a name too long
        raise Refused("unsafe-path", f"the path cannot be used ({type(e).__name__})") from None
    if real != root and root not in real.parents:
        raise Refused("unsafe-path", "the path leads outside the package folder (a link or '..'); it is not read")
    if any(str(real) == s or str(real).startswith(s + os.sep) for s in _SYSTEM):
        raise Refused("special-file", "system files (/proc, /sys, /dev) are never read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as e:
        raise Refused("missing-file", f"the file cannot be opened ({e.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused("special-file", "only regular files are read: this is a device, pipe, socket or folder")
    if info.st_size > limit:
        os.close(fd)
        raise Refused("file-too-large", f"the file has {info.st_size:,} bytes, more than the limit of {limit:,}")
    with os.fdopen(fd, "rb", buffering=0) as fh:
        # one read of the size the file states (one copy in memory), then on in chunks if it has grown
        first = fh.read(min(info.st_size, limit) + 1)
        chunks, size = [first], len(first)
        step = 1  # the next read only confirms the end: a one-byte buffer, not a large one
        while first and size <= limit:
            chunk = fh.read(min(step, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            step = 1 << 20
    if size > limit:  # the file grew while it was read
        raise Refused("file-too-large", f"the file has more than the limit of {limit:,} bytes")
    return b"".join(chunks)


def excerpt(value: str | None, limit: int = Limits.excerpt_chars) -> str | None:
    """A short, escaped excerpt of a value for a report: control, format and bidirectional characters are
    shown as escapes, and anything past `limit` characters is cut with a count of what was left out."""
    if value is None:
        return None
    head = value[:limit]
    shown = head if head.isascii() and head.isprintable() else "".join(_escape(c) for c in head)
    if len(value) > limit:
        shown += f"… ({len(value) - limit:,} more characters)"
    return shown


def _escape(c: str) -> str:
    import unicodedata

    if c.isprintable() and unicodedata.category(c) not in ("Cf", "Co", "Cs"):
        return c
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
