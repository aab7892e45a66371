"""`make bench`: run every benchmark section and write bench/RESULTS.md.

Each section is a module ``bench.bench_*`` runnable as ``python -m bench.bench_x --out FILE [--quick]``
that writes one Markdown section; sections run one after another (the machine has 2 cores) in
separate processes, so one failing section is reported and the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SHARED_ENV, scratch_database

HERE = Path(__file__).resolve().parent
SECTIONS = ("bench_demo", "bench_address", "bench_search", "bench_grids", "bench_tiles", "bench_economy",
            "bench_import", "bench_draws", "bench_schemathesis", "bench_ogc")


def _run_section(name: str, quick: bool) -> str:
    if not (HERE / f"{name}.py").exists():
        return f"## {name}\n\nnot present in this checkout.\n"
    with tempfile.NamedTemporaryFile("r", suffix=".md") as out:
        cmd = [sys.executable, "-m", f"bench.{name}", "--out", out.name] + (["--quick"] if quick else [])
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True)
        took = time.perf_counter() - started
        body = Path(out.name).read_text(encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        return f"## {name}\n\nFAILED (exit {proc.returncode}) after {took:.0f} s:\n\n```\n{tail}\n```\n"
    return body.rstrip() + f"\n\n_(section took {took:.0f} s)_\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    header = (f"# MarketMap benchmark results\n\nWritten by `make bench` on {dt.date.today()} — "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{'quick run' if args.quick else 'full run'}. Machines here are noisy (1.3–2× between repeats): "
              "read these as orders of magnitude.\n")
    parts = [header]
    with scratch_database("marketmap_bench_shared") as shared_url:
        # bench_demo loads the large district into this database; later sections reuse it.
        os.environ[SHARED_ENV] = shared_url
        for name in args.only or SECTIONS:
            print(f"[bench] {name} …", file=sys.stderr, flush=True)
            parts.append(_run_section(name, args.quick))
    Path(args.out).write_text("\n".join(parts), encoding="utf-8")
    print(f"[bench] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
