"""Time each export format on the bundled package (figures only; no targets are enforced).

    python benchmarks/export_times.py             # best of 3 runs per format
    python benchmarks/export_times.py --runs 5

Every export computes the three helper tables (people moved, money paid, cost per person) afresh; their
share is printed on its own line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import migration_deals as md
from migration_deals import export as ex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import best as _best  # noqa: E402  (the timing helper the other benchmarks use)


def best(runs: int, fn) -> float:  # noqa: ANN001
    return _best(fn, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ds = md.load()
    print(f"migration-deals {ds.version}: " + ", ".join(f"{n} {len(f)}" for n, f in ds.frames.items()) + " rows")
    seconds = best(args.runs, lambda: ex.tables(ds))
    print(f"{'tables()':<10} {seconds:7.3f} s  (resources and helper tables: part of every format below)")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ex.FORMATS:
            out = Path(tmp) / fmt
            try:
                seconds = best(args.runs, lambda fmt=fmt, out=out: ex.export(ds, fmt, out))
            except ImportError as e:
                print(f"{fmt:<10}  skipped: {e}")
                continue
            size = sum(p.stat().st_size for p in out.iterdir())
            print(f"{fmt:<10} {seconds:7.3f} s  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
