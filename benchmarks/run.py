"""Benchmarks: print the figures for validate, load and import (speed targets live here, not in tests).

    python benchmarks/run.py                      # 100k, 300k and 1M transfer rows, stock frictionless alongside
    python benchmarks/run.py --sizes 100000 300000
    python benchmarks/run.py --no-frictionless

Each ratio is measured side by side in one run. Targets: `migration-deals validate` (whole process) >= 30x
faster than stock `frictionless validate` at 1M transfer rows and >= 10x at 300k; time linear in rows; peak
memory < 1 GB at 1M rows; load() <= 1.5x pandas.read_csv of the same files, on the bundled package and on
the 300k-row copy; import <= 1.1x `import pandas`; validate of the bundled package < 1 s (whole process).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import migration_deals as md

BIN = Path(sys.executable).parent


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


_WRAP = """
import json, os, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, use.ru_maxrss / 1024, rc, use.ru_utime + use.ru_stime]))
"""


_PYCACHE = tempfile.mkdtemp(prefix="migration-deals-bench-pycache-")
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": _PYCACHE}
"""Processes run as an installed package does: with compiled bytecode, kept in a folder of their own (an
environment that forbids writing bytecode would otherwise compile every module on every start)."""
atexit.register(shutil.rmtree, _PYCACHE, True)


def process(cmd: list[str]) -> tuple[float, float, int, float]:
    """Wall time (s), peak resident memory (MB), exit status and CPU time (user + system, s) of one process.

    It is started by a small Python process of its own: a child forked straight from this (large) one
    would count this one's memory in its peak. Take the best of several runs: the first compiles bytecode.
    """
    out = subprocess.run(
        [sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, check=True, env=_ENV
    ).stdout
    wall, peak, rc, cpu = json.loads(out)
    return wall, peak, rc, cpu


def synthetic(folder: Path, rows: int) -> Path:
    """The bundled package with `rows` valid event transfers under its agreements, each cited as stated by its
    source (so the package stays valid), and no hashes (so every value is checked)."""
    shutil.copytree(md.bundled_path().parent, folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:  # the appended rows are not a release
        res.pop("hash"), res.pop("bytes")
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    ds = md.load(folder)
    a = ds.agreements
    # agreements that are running and have no cap over their term (the rows must not exceed one)
    uncapped = (a["capacity_basis"] != "term_total").fillna(True)
    agreements = a[a["signed_earliest"].notna() & a["ended"].isna() & uncapped]
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(agreements), rows)
    a = agreements.iloc[pick]
    start = a["signed_latest"].to_numpy().astype("datetime64[D]")
    day = (start + rng.integers(0, 200, rows).astype("timedelta64[D]")).astype(str)
    frame = pd.DataFrame(
        {
            "transfer_id": [f"syn-{i}" for i in range(rows)],
            "agreement_id": a["agreement_id"].to_numpy(),
            "period_start": day,
            "period_end": day,
            "measure": "event",
            # one count per series and day (rows on the same day state one fact, so they must agree)
            "people": 1,
            "qualifier": "exact",
            "movement": "transferred",
            "population": "unknown",
            "nationalities": "",
            "voluntary": "unknown",
            "within": "",
            "alternative_to": "",
            "source_id": a["source_id"].to_numpy(),
            "notes": "synthetic row",
        }
    )
    frame = frame[frame["period_end"] <= ds.as_of]
    frame.to_csv(folder / "transfers.csv", mode="a", header=False, index=False, lineterminator="\n")
    cites = pd.DataFrame(
        {
            "resource": "transfers",
            "row_id": frame["transfer_id"],
            "field": "*",
            "source_id": frame["source_id"],
            "role": "states",
        }
    )
    cites.to_csv(folder / "citations.csv", mode="a", header=False, index=False, lineterminator="\n")
    return folder / "datapackage.json"


def csv_files(descriptor: Path) -> list[Path]:
    names = json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
    return [descriptor.parent / r["path"] for r in names]


def load_ratio(descriptor: Path | None, repeat: int) -> tuple[float, float, float, float]:
    """Best wall time of md.load() and of a plain pandas.read_csv of the same files, and the CPU time (every
    thread of the process) of each, taken in turns (one of each per round), so that both meet the machine in
    the same state. The CPU time shows the work: the wall time of a load that runs on threads is less."""
    files = csv_files(descriptor or md.bundled_path())
    loads, reads, load_cpu, read_cpu = [], [], [], []

    def timed(fn, wall: list[float], cpu: list[float]) -> None:
        c, t = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)

    with warnings.catch_warnings():  # mixed-type columns: pandas guesses, which is what a plain read does
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        for _ in range(repeat):
            timed(lambda: [pd.read_csv(f) for f in files], reads, read_cpu)
            timed(lambda: md.load(descriptor), loads, load_cpu)
    return min(loads), min(reads), min(load_cpu), min(read_cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--no-frictionless", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    args = parser.parse_args()
    py = sys.executable
    out: dict[str, float] = {}

    out["import pandas (s)"] = min(process([py, "-c", "import pandas"])[0] for _ in range(9))
    out["import migration_deals (s)"] = min(process([py, "-c", "import migration_deals"])[0] for _ in range(9))
    load, read, load_cpu, read_cpu = load_ratio(None, 20)
    out["bundled: md.load() (s)"], out["bundled: pandas.read_csv (s)"] = load, read
    out["bundled: md.load() CPU (s)"], out["bundled: pandas.read_csv CPU (s)"] = load_cpu, read_cpu
    out["validate bundled, whole process (s)"] = min(
        process([str(BIN / "migration-deals"), "validate"])[0] for _ in range(9)
    )

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.sizes):
            path = synthetic(Path(tmp) / f"p{n}", n)
            ours, mem, rc, cpu = min(process([str(BIN / "migration-deals"), "validate", str(path)]) for _ in range(3))
            theirs = their_mem = their_cpu = float("nan")
            if not args.no_frictionless:
                theirs, their_mem, _, their_cpu = process([str(BIN / "frictionless"), "validate", str(path)])
            rows.append((n, ours, mem, rc, cpu, theirs, their_mem, their_cpu))
            if n == 300_000 or (300_000 not in args.sizes and n == max(args.sizes)):
                load, read, load_cpu, read_cpu = load_ratio(path, 5)
                out[f"{n} copy: md.load() (s)"], out[f"{n} copy: pandas.read_csv (s)"] = load, read
                out[f"{n} copy: md.load() CPU (s)"], out[f"{n} copy: pandas.read_csv CPU (s)"] = load_cpu, read_cpu
    if args.json:
        for n, ours, mem, rc, cpu, theirs, their_mem, their_cpu in rows:
            out |= {f"validate {n}: seconds": ours, f"validate {n}: peak MB": mem, f"validate {n}: exit": rc}
            out |= {f"validate {n}: CPU seconds": cpu, f"frictionless {n}: CPU seconds": their_cpu}
            out |= {f"frictionless {n}: seconds": theirs, f"frictionless {n}: peak MB": their_mem}
        print(json.dumps({k: round(v, 3) for k, v in out.items()}, indent=2))
        return
    print("Whole processes; wall time, with CPU time (user + system) in brackets.")
    print()
    print(
        "| transfer rows | migration-deals validate | s per 1M rows | peak memory | exit "
        "| stock frictionless | its peak | speed-up |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, ours, mem, rc, cpu, theirs, their_mem, their_cpu in rows:
        print(
            f"| {n:,} | {ours:.2f} s ({cpu:.2f} s) | {ours / n * 1e6:.2f} | {mem:,.0f} MB | {rc} "
            f"| {theirs:.1f} s ({their_cpu:.1f} s) | {their_mem:,.0f} MB | {theirs / ours:.1f}× |"
        )
    print()
    print("| figure (wall, with CPU in brackets for load) | ours | reference | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| import migration_deals / import pandas | {out['import migration_deals (s)']:.3f} s "
        f"| {out['import pandas (s)']:.3f} s | {out['import migration_deals (s)'] / out['import pandas (s)']:.2f}× |"
    )
    for label in [k[: -len(": md.load() (s)")] for k in out if k.endswith(": md.load() (s)")]:
        load, read = out[f"{label}: md.load() (s)"], out[f"{label}: pandas.read_csv (s)"]
        load_cpu, read_cpu = out[f"{label}: md.load() CPU (s)"], out[f"{label}: pandas.read_csv CPU (s)"]
        print(
            f"| md.load() / pandas.read_csv, {label} | {load:.3f} s ({load_cpu:.3f} s) "
            f"| {read:.3f} s ({read_cpu:.3f} s) | {load / read:.2f}× ({load_cpu / read_cpu:.2f}×) |"
        )
    print(f"| validate bundled package, whole process | {out['validate bundled, whole process (s)']:.3f} s | 1 s | |")


if __name__ == "__main__":
    main()
