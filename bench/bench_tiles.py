"""Vector tiles and risk classification at city scale (issue 7's measured targets).

At 1,000,000 enterprises on 2 cores: tile latency p50/p99 at z12, z14 and z16 over the densest
area and over average areas, bytes per tile; full classification ≤ 60 s. Our tiles go through
HTTP (gunicorn, 2 workers, public viewer, no gzip) and are compared with tipg (uvicorn, 2
workers) serving the same ``enterprise`` table from the same database in the same run (goal:
ours/tipg ≤ 1.0) and with the raw ``ST_AsMVT`` statement alone (goal ≤ 1.3). Below z15 our
``enterprises`` layer is per-grid aggregates while tipg serves raw points (capped at its
per-tile limit): that is the design being measured, not a like-for-like query.

``python -m bench.bench_tiles --out FILE [--quick]`` (quick: 50,000 entities). The district comes from
``bench.common.bench_database`` (the one ``make bench`` built, named in MARKETMAP_BENCH_DATABASE_URL).
Classification rewrites the ``enterprise`` rows of the 1M district (a scratch database).
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.common import bench_database, free_port, percentiles_ms, start_server, table, timed
from models.db import make_engine
from spatial.tile_layers import LAYERS, TileScope
from spatial.tiles import tile_statement
from supervision.classify import classify_entities
from supervision.risk import load_rules, rules_from_dict

ZOOMS = (12, 14, 16)
TIPG_PROPERTIES = "id,uscc,name,industry_code,industry_label,status,grid_code"
CLIENT_TIMEOUT_S = 60
_TILE_XY = """
SELECT floor((ST_X(geom) + 180) / 360 * 2 ^ :z)::int AS x,
       floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 2 ^ :z)::int AS y"""


def _densest(session: Session, z: int) -> tuple[int, int]:
    return tuple(session.execute(text(f"{_TILE_XY}, count(*) FROM enterprise WHERE geom IS NOT NULL "
                                      "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"), {"z": z}).one()[:2])


def _average(session: Session, z: int, n: int) -> list[tuple[int, int]]:
    rows = session.execute(text(f"{_TILE_XY} FROM (SELECT geom FROM enterprise TABLESAMPLE BERNOULLI (1) "
                                "WHERE geom IS NOT NULL ORDER BY random() LIMIT :n) s"), {"z": z, "n": n}).all()
    return [tuple(r) for r in rows]


def _fetch(port: int, paths: list[str], repeats: int) -> tuple[list[float], list[int]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT_S)
    times, sizes = [], []
    for _ in range(repeats):
        for path in paths:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = conn.getresponse()
            body = response.read()
            times.append(time.perf_counter() - started)
            if response.status not in (200, 204):
                raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
            sizes.append(len(body))
    return times, sizes


def _raw_sql(engine, tiles: list[tuple[int, int, int]], repeats: int) -> list[float]:
    """The tile statement alone, its parameters built beforehand: no HTTP, no Flask, no data versions."""
    times = []
    with Session(engine) as session:
        statements = [tile_statement(session, layer="enterprises", z=z, x=x, y=y, scope=TileScope()) for z, x, y in tiles]
        for _ in range(repeats):
            for sql, params in statements:
                elapsed, _ = timed(session.execute, text(sql), params)
                times.append(elapsed)
    return times


def _classification(engine) -> list[list]:
    rules = load_rules()
    bumped = rules_from_dict({"version": rules.version + "-b", "title": rules.title, "rule": _raw_rules()})
    rows = []
    for label, use in (("first run (no stored classes)", rules), ("rules version changed: all rewritten", bumped),
                       ("back to the original rules", rules), ("nothing changed", rules)):
        _vacuum(engine)
        before = _update_counts(engine)
        with Session(engine) as session:
            elapsed, report = timed(classify_entities, session, rules=use)
            session.commit()
        updated, hot = (after - was for after, was in zip(_update_counts(engine), before, strict=True))
        rows.append([label, f"{elapsed:.1f}", f"{report.examined:,}", f"{report.written:,}", f"{report.moved:,}",
                     f"{100 * hot / updated:.0f} %" if updated else "–"])
    return rows


def _vacuum(engine) -> None:
    """What autovacuum does between two rules changes: frees the space of the last run's old row versions,
    without which the next full rewrite finds its pages full and cannot update in place (HOT). It frees
    nothing while any transaction older than that run is open in the cluster (check the HOT column)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM enterprise"))


def _update_counts(engine) -> tuple[int, int]:
    """Rows updated and of them HOT (in place, no index entries) in ``enterprise`` so far."""
    time.sleep(0.6)  # the statistics collector lags the commit by up to PGSTAT_MIN_INTERVAL (0.5 s)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return tuple(conn.execute(text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                                       "WHERE relid = 'enterprise'::regclass")).one())


def _raw_rules() -> list[dict]:
    import tomllib

    from supervision.risk import DEFAULT_RULES_PATH

    return tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))["rule"]


def run(engine_url: str, out_path: str | Path, quick: bool, *, classification: bool = True) -> str:
    """Measure on the database at ``engine_url`` (demo data loaded); writes and returns Markdown."""
    engine = make_engine(engine_url)
    with engine.connect() as conn:
        n_entities = conn.execute(text("SELECT count(*) FROM enterprise")).scalar()
    class_rows = _classification(engine) if classification else [["(not run: --tiles-only)", "", "", "", "", ""]]
    with Session(engine) as session:
        areas = {}
        for z in ZOOMS:
            areas[(z, "densest")] = [(z, *_densest(session, z))]
            areas[(z, "average")] = [(z, x, y) for x, y in _average(session, z, 10 if quick else 30)]
    ports = {"ours": free_port(), "uncached": free_port(), "tipg": free_port()}
    servers = _servers(engine_url, ports)
    server_engine = make_engine(engine_url, interactive=True)  # the raw baseline runs as the server's statements do
    try:
        rows = [_area_row(z, area, tiles, ports, server_engine, 3 if quick else 5) for (z, area), tiles in areas.items()]
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
    body = _report(n_entities, quick, rows, class_rows)
    Path(out_path).write_text(body + "\n", encoding="utf-8")
    return body


def _servers(engine_url: str, ports: dict[str, int]) -> list:
    """MarketMap with its tile cache, the same without it (every tile built), and tipg, on ``ports``."""
    marketmap = str(Path(sys.executable).parent / "marketmap")
    # tipg does not cancel a statement whose client gave up (after _fetch's 60 s): a z14 tile of raw points
    # once ran on for half an hour in the background, slowing every later section. asyncpg takes unknown
    # URL parameters as server settings, so its sessions stop at the client's limit too.
    plain_url = engine_url.replace("postgresql+psycopg://", "postgresql://")
    plain_url += ("&" if "?" in plain_url else "?") + f"statement_timeout={CLIENT_TIMEOUT_S * 1000}"
    return [
        start_server([marketmap, "serve", "--port", str(ports["ours"]), "--workers", "2"],
                     {"MARKETMAP_DATABASE_URL": engine_url}, ports["ours"], "/healthz"),
        start_server([marketmap, "serve", "--port", str(ports["uncached"]), "--workers", "2"],
                     {"MARKETMAP_DATABASE_URL": engine_url, "MARKETMAP_TILE_CACHE_MB": "0"}, ports["uncached"],
                     "/healthz"),
        start_server([sys.executable, "-m", "uvicorn", "tipg.main:app", "--port", str(ports["tipg"]), "--workers", "2",
                      "--log-level", "warning"],
                     {"DATABASE_URL": plain_url, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": '["public.enterprise"]',
                      "TIPG_MAX_FEATURES_PER_TILE": str(LAYERS["enterprises"].max_features)},
                     ports["tipg"], "/collections"),
    ]


def _area_row(z: int, area: str, tiles: list, ports: dict[str, int], server_engine, repeats: int) -> list:
    """One table row: each server's latency over ``tiles`` (after two warm-up rounds) and the raw statement's."""
    ours_paths = [f"/tiles/enterprises/{z}/{x}/{y}.pbf" for z, x, y in tiles]
    tipg_paths = [f"/collections/public.enterprise/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={TIPG_PROPERTIES}"
                  for z, x, y in tiles]
    paths = {"ours": ours_paths, "uncached": ours_paths, "tipg": tipg_paths}
    for name, port in ports.items():
        _fetch(port, paths[name], 2)  # warm plans and caches in both workers
    ours, sizes = _fetch(ports["ours"], ours_paths, repeats)
    cold, _ = _fetch(ports["uncached"], ours_paths, repeats)
    tipg, tipg_sizes = _fetch(ports["tipg"], tipg_paths, repeats)
    raw = _raw_sql(server_engine, tiles, repeats)
    o, c, t, r = percentiles_ms(ours), percentiles_ms(cold), percentiles_ms(tipg), percentiles_ms(raw)
    return [z, area, len(tiles), f"{o['p50']:.1f}", f"{o['p99']:.1f}", f"{c['p50']:.1f}", f"{c['p99']:.1f}",
            f"{sum(sizes) / len(sizes) / 1024:.1f}", f"{t['p50']:.1f}", f"{t['p99']:.1f}",
            f"{sum(tipg_sizes) / len(tipg_sizes) / 1024:.1f}", f"{r['p50']:.1f}", f"{o['p50'] / t['p50']:.2f}",
            f"{c['p50'] / t['p50']:.2f}", f"{o['p50'] / r['p50']:.2f}", f"{c['p50'] / r['p50']:.2f}"]


def _report(n_entities: int, quick: bool, rows: list, class_rows: list) -> str:
    return "\n\n".join([
        "## Vector tiles and risk classification (bench_tiles)",
        f"{n_entities:,} enterprises{' (quick run)' if quick else ''}; `enterprises` layer; ours = `/tiles` through "
        "gunicorn (2 workers, public viewer, identity encoding), served from its tile cache when the data versions "
        "are unchanged; uncached = the same server with `MARKETMAP_TILE_CACHE_MB=0` (every tile built); tipg through "
        "uvicorn (2 workers) with the same properties; raw = the tile statement alone in one session. Each tile "
        "requested twice first, then measured. Latency in ms, sizes in KiB (uncompressed).",
        table(["z", "area", "tiles", "ours p50", "ours p99", "uncached p50", "uncached p99", "ours KiB", "tipg p50",
               "tipg p99", "tipg KiB", "raw p50", "ours/tipg", "uncached/tipg", "ours/raw", "uncached/raw"], rows),
        "Classification (`classify_entities`, set-based SQL), seconds:",
        table(["run", "s", "recomputed", "written", "moved", "HOT"], class_rows),
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", help="use this database (demo loaded) instead of bench_database")
    parser.add_argument("--tiles-only", action="store_true", help="skip the classification runs")
    args = parser.parse_args(argv)
    if args.database_url:
        print(run(args.database_url, args.out, args.quick, classification=not args.tiles_only))
        return
    with bench_database(50_000 if args.quick else 1_000_000) as url:
        print(run(url, args.out, args.quick, classification=not args.tiles_only))


if __name__ == "__main__":
    main()
