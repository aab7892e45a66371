"""Building economy (issue 11): view refresh at 200,000 buildings × 3 years, summary latency via HTTP."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

import economy
from app.accounts import create_token, create_user
from bench.common import bench_database, http_times, scratch_database, served, table, timed
from models.db import make_engine

TARGET_BUILDINGS = 200_000


def run(out_path: str, quick: bool) -> None:
    n = 20_000 if quick else 1_000_000
    target = 20_000 if quick else TARGET_BUILDINGS
    with bench_database(n) as source, scratch_database("marketmap_bench_economy") as url:
        _copy_economy(source, url)
        engine = make_engine(url)
        buildings = _grow_to(engine, target)
        refresh_s = _refresh(engine)
        token = _official_token(engine)
        with served(url) as port:
            latency = _summary_latency(port, token, quick)
        engine.dispose()
    rows = [["refresh of the three views", f"{buildings:,} buildings × 3 years", f"{refresh_s:.1f} s", "≤ 30 s"]]
    rows += [[f"summary by={by} via HTTP (p50 / p99)", f"{r['n']} requests",
              f"{r['p50']:.1f} / {r['p99']:.1f} ms", "p99 ≤ 50 ms"] for by, r in latency.items()]
    Path(out_path).write_text("## Building economy\n\n" + table(["measure", "size", "result", "goal"], rows) + "\n",
                              encoding="utf-8")


def _copy_economy(source: str, target: str) -> None:
    """Buildings, grids and economy of the demo district into a scratch database (the source stays as is)."""
    src, dst = make_engine(source), make_engine(target)
    with src.connect() as a, dst.begin() as b:
        for table_name in ("grid_version", "grid", "building", "building_economy", "address_entry", "enterprise"):
            columns = [r[0] for r in a.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t ORDER BY ordinal_position"),
                {"t": table_name})]
            cols = ", ".join(columns)
            raw_src, raw_dst = a.connection.dbapi_connection, b.connection.dbapi_connection
            with raw_src.cursor().copy(f"COPY {table_name} ({cols}) TO STDOUT") as out, \
                 raw_dst.cursor().copy(f"COPY {table_name} ({cols}) FROM STDIN") as into:
                for chunk in out:
                    into.write(chunk)
    src.dispose()
    dst.dispose()


def _grow_to(engine, target: int) -> int:
    """Clone buildings (shifted east) with their figures until there are ``target`` buildings."""
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM building")).scalar()
        while have < target:
            offset = conn.execute(text("SELECT max(id) FROM building")).scalar()
            take = min(have, target - have)
            conn.execute(text("""
                INSERT INTO building (id, name, address_text, use, floors, height_m, floor_area_m2, street_code,
                                      community_code, grid_code, footprint, geom)
                SELECT id + :o, name, address_text, use, floors, height_m, floor_area_m2, street_code,
                       community_code, grid_code, footprint, geom
                FROM building ORDER BY id LIMIT :n"""), {"o": offset, "n": take})
            conn.execute(text("""
                INSERT INTO building_economy SELECT building_id + :o, year, output_value_10k, employment, tax_10k,
                                                    entity_count
                FROM building_economy WHERE building_id IN (SELECT id FROM building ORDER BY id LIMIT :n)"""),
                {"o": offset, "n": take})
            have += take
        conn.execute(text("ANALYZE building; ANALYZE building_economy"))
    return have


def _refresh(engine) -> float:
    with Session(engine) as session:
        seconds, _ = timed(economy.refresh, session)
        session.commit()
    return seconds


def _official_token(engine) -> str:
    with Session(engine) as session:
        user = create_user(session, username=f"bench-{secrets.token_hex(4)}", password=secrets.token_urlsafe(16),
                           role="official", actor="bench")
        _, secret = create_token(session, user, name="bench")
        session.commit()
    return secret


def _summary_latency(port: int, token: str, quick: bool) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    repeats = 100 if quick else 400
    results = {}
    for by in ("building", "grid", "street"):
        paths = [f"/api/v1/economy/summary?by={by}&sort={s}&limit=20"
                 for s in ("tax_10k", "output_value_10k", "employment", "tax_per_m2_yuan")] * (repeats // 4)
        results[by] = http_times(port, paths, headers=headers)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    run(args.out, args.quick)
