"""Benchmarks: print figures for import, load and validate times (speed targets live here, not in tests).

    python benchmarks/run.py                 # all figures, 1M-row synthetic package included
    python benchmarks/run.py --rows 200000   # a smaller synthetic package
    python benchmarks/run.py --no-frictionless

Targets: import <= 1.1x `import pandas`; load() <= 1.5x pandas.read_csv of the same files; validate of the
bundled package < 1 s (whole process); 1M transfer rows validated >= 30x faster than stock frictionless,
peak memory < 1 GB, time linear in rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
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


def process(cmd: list[str]) -> tuple[float, float, int]:
    """Wall time (s), peak resident memory (MB) and exit status of a whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, rc


def synthetic(folder: Path, rows: int) -> Path:
    """The bundled package with `rows` valid event transfers under its agreements."""
    shutil.copytree(md.bundled_path().parent, folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:  # the appended rows are not a release
        res.pop("hash"), res.pop("bytes")
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    ds = md.load(folder)
    agreements = ds.agreements[ds.agreements["signed_earliest"].notna() & ds.agreements["ended"].isna()]
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
    return folder / "datapackage.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-frictionless", action="store_true")
    args = parser.parse_args()
    py = sys.executable
    out: dict[str, float] = {}

    imp_pd = min(process([py, "-c", "import pandas"])[0] for _ in range(5))
    imp_md = min(process([py, "-c", "import migration_deals"])[0] for _ in range(5))
    out["import pandas (s)"], out["import migration_deals (s)"] = imp_pd, imp_md

    pkg = md.bundled_path()
    files = [pkg.parent / f"{n}.csv" for n in ("parties", "sources", "agreements", "transfers", "costs")]
    read = best(lambda: [pd.read_csv(f) for f in files], 20)
    load = best(lambda: md.load(), 20)
    out["pandas.read_csv of the bundled files (s)"], out["md.load() (s)"] = read, load
    out["load / read_csv"] = load / read
    out["migration-deals validate, bundled, whole process (s)"] = min(
        process([str(BIN / "migration-deals"), "validate"])[0] for _ in range(3)
    )

    with tempfile.TemporaryDirectory() as tmp:
        sizes = sorted({args.rows // 4, args.rows // 2, args.rows})
        for n in sizes:
            path = synthetic(Path(tmp) / f"p{n}", n)
            wall, mem, rc = process([str(BIN / "migration-deals"), "validate", str(path)])
            out[f"validate {n} transfer rows: seconds"] = wall
            out[f"validate {n} transfer rows: peak MB"] = mem
            out[f"validate {n} transfer rows: exit status"] = rc
        if not args.no_frictionless:
            path = Path(tmp) / f"p{args.rows}" / "datapackage.json"
            wall, mem, rc = process([str(BIN / "frictionless"), "validate", str(path)])
            out[f"frictionless validate {args.rows} rows: seconds"] = wall
            out["speed-up over frictionless"] = wall / out[f"validate {args.rows} transfer rows: seconds"]
    print(json.dumps({k: round(v, 3) for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
