"""The built wheel carries the data: install it in a fresh virtual environment and load from there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_loads(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = dist.glob("migration_deals-*.whl")
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    # The fresh environment gets this one's third-party packages (pandas, pydantic, ...) but not the repository.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = ("import migration_deals as md, pathlib; ds = md.load(); r = md.validate(); "
            "assert 'site-packages' in md.__file__ and 'site-packages' in str(md.bundled_path()), md.__file__; "
            "print(ds.version, len(ds.agreements), r.ok)")
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path)
    version, agreements, ok = out.stdout.split()
    import migration_deals as md

    assert version == md.__version__ and int(agreements) == len(md.load().agreements) and ok == "True"
    cli = subprocess.run([str(env / "bin" / "migration-deals"), "info"], capture_output=True, text=True, cwd=tmp_path)
    assert cli.returncode == 0 and "validation: " in cli.stdout
