"""Demo district build time at 100k and 1M enterprises (issue 3), each into a scratch database."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from app.cli import after_demo_build
from app.demo import build_demo
from bench.common import SHARED_ENV, scratch_database, table, timed
from models.db import make_engine


def _build(n: int, *, keep_in_shared: bool) -> tuple[float, dict]:
    """Time one build; the largest goes into make bench's shared database for the other sections."""
    shared = os.environ.get(SHARED_ENV)
    if keep_in_shared and shared:
        return _timed_build(shared, n)
    with scratch_database("marketmap_bench_demo") as url:
        return _timed_build(url, n)


def _timed_build(url: str, n: int) -> tuple[float, dict]:
    engine = make_engine(url)
    seconds, counts = timed(build_demo, engine, enterprises=n, seed=7, progress=False)
    after_demo_build(engine)
    engine.dispose()
    return seconds, counts


def run(out_path: str, quick: bool) -> None:
    sizes = (20_000, 100_000) if quick else (100_000, 1_000_000)
    # the shared database must end up with the largest size: the other sections read it
    rows = []
    for n in sizes:
        seconds, counts = _build(n, keep_in_shared=n == sizes[-1])
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
