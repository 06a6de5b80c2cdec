"""A second, independent Data Package implementation reads every row of the package.

The JavaScript `datapackage` library (pinned in tests/js/package.json) loads
the descriptor and casts every row of every resource against its schema; it
must read as many rows as the Python loader. Install it with
``npm ci --prefix tests/js``. Without node or that install the test is skipped,
unless MIGRATION_DEALS_REQUIRE_NODE=1 (as in CI), which makes it fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import migration_deals as md

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
DESCRIPTOR = ROOT / "datapackage" / "datapackage.json"


def _node() -> str:
    """The node executable, once the pinned JavaScript library is installed; else skip (or fail in CI)."""
    node = shutil.which("node")
    if node is None:
        missing = "node is not installed"
    elif not (JS / "node_modules" / "datapackage").is_dir():
        missing = "tests/js/node_modules is missing (run: npm ci --prefix tests/js)"
    else:
        return node
    if os.environ.get("MIGRATION_DEALS_REQUIRE_NODE") == "1":
        pytest.fail(f"MIGRATION_DEALS_REQUIRE_NODE=1 but {missing}")
    pytest.skip(f"JavaScript reader not available: {missing}")


def test_js_datapackage_reads_every_row():
    node = _node()
    done = subprocess.run(
        [node, str(JS / "read.js"), str(DESCRIPTOR)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the JavaScript datapackage library could not read the package:\n{done.stderr}"
    counts = json.loads(done.stdout)
    expected = {name: len(frame) for name, frame in md.load(DESCRIPTOR).frames.items()}
    assert counts == expected
