"""The built sdist and wheel carry the data: install each in a fresh virtual environment, load and verify there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tarfile
import venv
from pathlib import Path

import pytest

import migration_deals as md

ROOT = Path(__file__).resolve().parents[1]


def build(source: Path, out: Path, kind: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("migration_deals-*.whl" if kind == "wheel" else "migration_deals-*.tar.gz")
    return built


def install_and_check(wheel: Path, tmp: Path) -> None:
    env = tmp / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    # The fresh environment gets this one's third-party packages (pandas, pydantic, ...) but not the repository.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = (
        "import migration_deals as md; ds = md.load(); "
        "assert 'site-packages' in md.__file__ and 'site-packages' in str(md.bundled_path()), md.__file__; "
        "from migration_deals import released; pkg = ds.package; "
        "copies = all(released.read_copy(pkg, n, pkg.resource(n)['hash']) is not None for n in ds); "
        "print(ds.version, len(ds.agreements), md.validate().ok, md.verify().ok and not md.verify().findings, copies)"
    )
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, cwd=tmp)
    assert out.stdout.split() == [md.__version__, str(len(md.load().agreements)), "True", "True", "True"]
    cli = subprocess.run([str(env / "bin" / "migration-deals"), "verify"], capture_output=True, text=True, cwd=tmp)
    assert cli.returncode == 0 and "verified" in cli.stdout


@pytest.mark.slow
def test_wheel_installs_loads_and_verifies(tmp_path):
    install_and_check(build(ROOT, tmp_path / "dist", "wheel"), tmp_path)


@pytest.mark.slow
def test_sdist_builds_a_complete_wheel(tmp_path):
    sdist = build(ROOT, tmp_path / "dist", "sdist")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "src", filter="data")
    [unpacked] = (tmp_path / "src").iterdir()
    for needed in ("datapackage/datapackage.json", "schemas/agreements.json", "LICENSE-DATA", "CITATION.cff"):
        assert (unpacked / needed).is_file(), needed
    install_and_check(build(unpacked, tmp_path / "wheel", "wheel"), tmp_path)
