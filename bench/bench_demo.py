"""Demo district build time at 100k and 1M enterprises (issue 3), each into a scratch database."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.demo import build_demo
from bench.common import scratch_database, table, timed
from models.db import make_engine


def run(out_path: str, quick: bool) -> None:
    sizes = (20_000, 100_000) if quick else (100_000, 1_000_000)
    rows = []
    for n in sizes:
        with scratch_database("marketmap_bench_demo") as url:
            engine = make_engine(url)
            seconds, counts = timed(build_demo, engine, enterprises=n, seed=7, progress=False)
            engine.dispose()
        rows.append([f"{n:,}", f"{seconds:.1f}", f"{n / seconds:,.0f}", f"{counts.get('address_entry', 0):,}",
                     f"{counts.get('building', 0):,}", f"{counts.get('grid', 0):,}",
                     f"{counts.get('credit_record', 0):,}"])
    text = ("## Demo district build (`marketmap demo build`)\n\nGoal: 1,000,000 enterprises in under 10 minutes.\n\n"
            + table(["enterprises", "seconds", "enterprises/s", "addresses", "buildings", "grids", "credit records"],
                    rows) + "\n")
    Path(out_path).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    run(args.out, args.quick)
