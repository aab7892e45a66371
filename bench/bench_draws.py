"""Double-random draw (issue 10): a district-wide draw over 10^6 entities and 2,000 inspectors, and
its verification, each ≤ 10 s. The pure draw core runs on a synthetic district built in memory
(ids with gaps, classes 70/20/9/1 %, 2,500 grids, inspectors of five departments of whom a third
hold grids, 20,000 visits in the last year), so this section needs no database.

    python -m bench.bench_draws --out FILE [--quick]
"""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path

import numpy as np

from bench.common import table, timed
from supervision import draws

DEPARTMENTS = ("市场监管局", "卫健委", "消防", "文旅委", "应急管理局")
GOAL_S = 10.0


def synthetic_input(n_entities: int, n_inspectors: int, *, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(np.arange(1, int(n_entities * 1.3) + 1), n_entities, replace=False))
    classes = rng.choice(np.array(list("ABCD")), n_entities, p=[0.70, 0.20, 0.09, 0.01])
    codes = np.array([f"500112{i:06d}-01" for i in range(max(10, n_entities // 400))], dtype=object)
    grids = codes[rng.integers(0, len(codes), n_entities)].tolist()
    inspectors = [draws.Inspector(i, DEPARTMENTS[i % len(DEPARTMENTS)],
                                  tuple(rng.choice(codes, 2).tolist()) if i % 3 == 0 else ())
                  for i in range(1, n_inspectors + 1)]
    visits = list(zip(rng.integers(1, n_inspectors + 1, n_entities // 50).tolist(),
                      ids[rng.integers(0, n_entities, n_entities // 50)].tolist(), strict=True))
    return {"entity_ids": ids, "entity_classes": classes, "entity_grids": grids, "inspectors": inspectors,
            "visits": visits}


def measure(data: dict, *, departments, team_size: int) -> list:
    build_s, snapshot = timed(draws.build_snapshot, **data, departments=departments, team_size=team_size)
    seed = secrets.token_bytes(32)
    draw_s, result = timed(draws.draw, snapshot, seed)
    store_s, stored = timed(_store, snapshot, result)
    verify_s, check = timed(draws.verify, snapshot_json=json.loads(stored["snapshot_text"]), seed_hex=seed.hex(),
                            snapshot_hash=stored["snapshot_sha256"], algorithm_version=draws.ALGORITHM_VERSION,
                            result=json.loads(stored["result_text"]), result_hash=stored["result_sha256"])
    drawn = sum(result["drawn"].values())
    loads = [len(t["entities"]) for t in result["teams"]]
    return [f"{len(snapshot.entity_ids):,}", f"{len(snapshot.inspectors):,}", len(departments), team_size,
            f"{drawn:,}", f"{len(result['teams']):,}", f"{min(loads)}–{max(loads)}", len(result["unassigned"]),
            f"{build_s:.2f}", f"{draw_s + store_s:.2f}", f"{verify_s:.2f}", "yes" if check.ok else "NO",
            f"{len(stored['snapshot_text']) / 1e6:.1f}", f"{len(stored['result_text']) / 1e6:.2f}"]


def _store(snapshot, result) -> dict:
    """What the database side does after drawing: hash and serialise both documents."""
    return {"snapshot_sha256": draws.snapshot_sha256(snapshot), "result_sha256": draws.result_sha256(result),
            "snapshot_text": json.dumps(draws.encode_snapshot(snapshot), ensure_ascii=False),
            "result_text": json.dumps(result)}


def run(out_path: str, quick: bool) -> str:
    n_entities, n_inspectors = (100_000, 200) if quick else (1_000_000, 2_000)
    data = synthetic_input(n_entities, n_inspectors)
    rows = [measure(data, departments=DEPARTMENTS[:1], team_size=2),
            measure(data, departments=DEPARTMENTS, team_size=5)]
    text = ("## Double-random draw (`supervision.draws`)\n\n"
            f"Goal: a district-wide draw over 1,000,000 entities and 2,000 inspectors ≤ {GOAL_S:.0f} s; "
            "verification ≤ the same. Ratios 2/5/20/100 %. *snapshot* = canonicalising the input (sort, "
            "grid index); *draw* = sampling, teams, conflict-aware assignment, hashing and serialising; "
            "*verify* = decode the stored snapshot, check its hash, re-run, compare. The database read of "
            "the snapshot is not included (pure core only).\n\n"
            + table(["entities", "inspectors in depts", "depts", "team", "drawn", "teams", "load per team",
                     "unassigned", "snapshot s", "draw s", "verify s", "reproduced", "snapshot MB", "result MB"],
                    rows) + "\n")
    Path(out_path).write_text(text, encoding="utf-8")
    print(text)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    run(args.out, args.quick)
