"""The documentation site: every gallery page runs as a doctest, and `mkdocs build --strict` succeeds."""

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "docs" / "gallery").glob("*.md"))


def test_gallery_has_pages():
    assert GALLERY, "docs/gallery/ holds no page"


@pytest.mark.parametrize("page", GALLERY, ids=[page.name for page in GALLERY])
def test_gallery_page_runs(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        encoding="utf-8",
    )
    assert result.attempted >= 1, f"{page.name} has no example"
    assert result.failed == 0


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "but the target" not in log, log  # every link resolves (strict mode also fails on it)
    api = tmp_path / "api" / "index.html"
    assert api.is_file(), log
    assert "people_moved" in api.read_text(encoding="utf-8")
    for page in GALLERY:
        assert (tmp_path / "gallery" / page.stem / "index.html").is_file(), page.name


def test_contributing_names_only_rules_that_exist():
    """The contributor guide's rule tables name only rules the codebook lists (integrity findings aside)."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    guide = (root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    codebook = (root / "docs" / "codebook.md").read_text(encoding="utf-8")
    rules = codebook[codebook.index("## Validation rules") :]
    known = set(re.findall(r"`([a-z]+(?:-[a-z]+)+|[a-z]+)`", rules)) | {"hash-mismatch", "bytes-mismatch"}
    named = {
        n
        for cell in re.findall(r"^\| ((?:`[a-z-]+`(?:, )?)+) \|", guide, flags=re.M)
        for n in re.findall(r"`([a-z-]+)`", cell)
    }
    assert len(named) > 20
    assert named <= known, sorted(named - known)
