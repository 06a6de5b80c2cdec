"""The commands README shows exist and do their job on the bundled package, as a user runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
EXE = str(Path(sys.executable).parent / "migration-deals")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)


def test_readme_commands_exist():
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", README, flags=re.S))
    commands = set(re.findall(r"^migration-deals (\w+)", blocks, flags=re.M))
    assert {"validate", "fmt", "build", "coverage", "diff", "verify", "info", "export", "site"} <= commands
    for command in commands:
        assert run(command, "--help").returncode == 0, command


@pytest.mark.parametrize(
    "args",
    [
        ("info",),
        ("validate",),
        ("validate", "--format", "json"),
        ("verify",),
        ("fmt", "--check"),
        ("coverage",),
        ("build", "--check"),
    ],
)
def test_main_jobs_succeed(args):
    result = run(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_github_annotations_point_at_file_and_line(tmp_path):
    from strategies import set_cell
    from test_bad_input import unstamped_copy

    pkg = unstamped_copy(tmp_path / "pkg")
    set_cell(pkg / "costs.csv", 4, "currency", "GPB")
    result = run("validate", str(pkg), "--format", "github")
    assert result.returncode == 1
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("::error")]
    assert re.match(r"::error file=.*costs\.csv,line=4,title=currency-code \[currency\]::", line), line
