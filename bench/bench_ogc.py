"""OGC API – Features side by side: MarketMap (/ogc, gunicorn 2 workers), tipg (uvicorn 2 workers) and
pygeoapi (gunicorn 2 workers, PostgreSQL provider) serving the same ``enterprise`` table of the same
database in one run, all as the public (the same 11 public fields from each server).

Measured: items/s paging through pages of 1,000 features, latency of bbox queries (≈1 km boxes, limit
100), latency of vector tiles (ours /tiles vs tipg's and pygeoapi's tiles) — with ratios. Goals: ours ≥
2× tipg's items/s and ≥ 5× pygeoapi's; tiles ≤ 1.0× tipg's latency.

``python -m bench.bench_ogc --out FILE [--quick]`` (quick: 50,000 entities, fewer requests).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import make_url, text

from bench.common import bench_database, free_port, percentiles_ms, served, start_server, table
from models.db import make_engine

PUBLIC_FIELDS = ("uscc", "name", "short_name", "entity_type", "industry_code", "industry_label", "category",
                 "status", "established_on", "registered_address", "grid_code")
BIN = Path(sys.executable).parent


def _tipg(url: str, port: int) -> subprocess.Popen:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return start_server([sys.executable, "-m", "uvicorn", "tipg.main:app", "--port", str(port), "--workers", "2",
                   "--log-level", "warning"],
                  {"DATABASE_URL": plain, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": '["public.enterprise"]',
                   "TIPG_MAX_FEATURES_PER_QUERY": "10000"}, port, "/collections")


def _pygeoapi(url: str, port: int, workdir: Path) -> subprocess.Popen:
    db = make_url(url)
    connection = {"host": db.host, "port": db.port or 5432, "dbname": db.database, "user": db.username,
                  "password": db.password, "search_path": ["public"]}
    provider = {"data": connection, "id_field": "id", "table": "enterprise", "geom_field": "geom"}
    config = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "language": "en-US",
                   "limits": {"default_items": 10, "max_items": 10000}, "map": {"url": "", "attribution": ""}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "keywords_type": "theme", "terms_of_service": "", "url": ""},
                     "license": {"name": "CC-BY", "url": ""}, "provider": {"name": "bench", "url": ""},
                     "contact": {"name": "bench", "url": "", "email": ""}},
        "resources": {"enterprise": {
            "type": "collection", "title": "enterprise", "description": "enterprise", "keywords": ["enterprise"],
            "extents": {"spatial": {"bbox": [-180, -90, 180, 90],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [
                {"type": "feature", "name": "PostgreSQL", **provider, "properties": list(PUBLIC_FIELDS)},
                {"type": "tile", "name": "MVT-postgresql", **provider,
                 "options": {"zoom": {"min": 0, "max": 16}},
                 "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"}},
            ]}},
    }
    cfg, openapi = workdir / "pygeoapi.yml", workdir / "pygeoapi-openapi.yml"
    cfg.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    env = {"PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(BIN / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file", str(openapi)],
                   env={**os.environ, **env}, check=True, capture_output=True)
    return start_server([str(BIN / "gunicorn"), "-w", "2", "--timeout", "120", "-b", f"127.0.0.1:{port}",
                   "pygeoapi.flask_app:APP"],
                  env, port, "/collections")


def _fetch(port: int, paths: list[str], *, warmup: int = 2) -> tuple[list[float], int]:
    """GET each path on one keep-alive connection; (seconds per request after warm-up, bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, size = [], 0
    for i, path in enumerate(paths):
        started = time.perf_counter()
        try:
            status, body = _get(conn, path)
        except (http.client.RemoteDisconnected, ConnectionError):
            # gunicorn's sync workers (pygeoapi) close the connection after every response: reconnect
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.perf_counter()
            status, body = _get(conn, path)
        if status not in (200, 204):
            raise RuntimeError(f"{port}{path}: HTTP {status} {body[:300]!r}")
        if i >= warmup:
            times.append(time.perf_counter() - started)
            size += len(body)
    return times, size


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Accept-Encoding": "identity", "Accept": "application/geo+json"})
    response = conn.getresponse()
    return response.status, response.read()


def _returned(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path)
    return len(json.loads(conn.getresponse().read())["features"])


def _sample(url: str, n: int, seed: int = 7) -> tuple[list[tuple[float, float]], tuple[float, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        # Rows, not pages, at random: the demo loader writes enterprises in spatial order, so the
        # first rows of a page sample would all lie in one corner of the district.
        points = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise TABLESAMPLE BERNOULLI (2) "
                                   "REPEATABLE (:seed) WHERE geom IS NOT NULL ORDER BY md5(id::text) LIMIT :n"),
                              {"seed": seed, "n": n}).all()
        count = conn.execute(text("SELECT count(*) FROM enterprise")).scalar()
    engine.dispose()
    return [tuple(p) for p in points], count


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _paths(points, pages: int) -> dict[str, dict[str, list[str]]]:
    props = ",".join(PUBLIC_FIELDS)
    boxes = [f"{x - 0.005:.5f},{y - 0.0045:.5f},{x + 0.005:.5f},{y + 0.0045:.5f}" for x, y in points]
    tiles = {z: [(z, *_tile_of(x, y, z)) for x, y in points] for z in (14, 16)}
    out = {
        "ours": {"pages": [f"/ogc/collections/enterprises/items?limit=1000&offset={i * 1000}" for i in range(pages)],
                 "bbox": [f"/ogc/collections/enterprises/items?limit=100&bbox={b}" for b in boxes]},
        "tipg": {"pages": [f"/collections/public.enterprise/items?limit=1000&offset={i * 1000}&properties={props}"
                           for i in range(pages)],
                 "bbox": [f"/collections/public.enterprise/items?limit=100&bbox={b}&properties={props}" for b in boxes]},
        "pygeoapi": {"pages": [f"/collections/enterprise/items?f=json&limit=1000&offset={i * 1000}" for i in range(pages)],
                     "bbox": [f"/collections/enterprise/items?f=json&limit=100&bbox={b}" for b in boxes]},
    }
    for z, zs in tiles.items():
        out["ours"][f"tiles z{z}"] = [f"/tiles/enterprises/{z}/{x}/{y}.pbf" for z, x, y in zs]
        out["tipg"][f"tiles z{z}"] = [f"/collections/public.enterprise/tiles/WebMercatorQuad/{z}/{x}/{y}"
                                      f"?properties={props}" for z, x, y in zs]
        out["pygeoapi"][f"tiles z{z}"] = [f"/collections/enterprise/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt"
                                          for z, x, y in zs]
    return out


def _measure(port: int, paths: dict[str, list[str]]) -> dict[str, dict]:
    results = {}
    for kind, urls in paths.items():
        print(f"[bench_ogc] port {port}: {kind}", file=sys.stderr, flush=True)
        try:
            times, size = _fetch(port, urls)
        except (RuntimeError, OSError, http.client.HTTPException) as exc:
            results[kind] = {"error": str(exc)[:200]}
            continue
        results[kind] = {**percentiles_ms(times), "total_s": sum(times), "bytes": size / max(1, len(times))}
    return results


def run(out_path: str | Path, quick: bool) -> str:
    pages, samples = (8, 25) if quick else (30, 60)
    os.environ["MARKETMAP_RATE_LIMIT"] = "1000000 per minute"  # the bench is one client hammering loopback
    with bench_database(50_000 if quick else 1_000_000) as url, tempfile.TemporaryDirectory() as tmp:
        points, count = _sample(url, samples)
        paths = _paths(points, pages)
        results, servers = {}, []
        try:
            with served(url) as ours_port:
                tipg_port, pyg_port = free_port(), free_port()
                servers.append(_tipg(url, tipg_port))
                servers.append(_pygeoapi(url, pyg_port, Path(tmp)))
                ports = {"ours": ours_port, "tipg": tipg_port, "pygeoapi": pyg_port}
                checks = {name: _returned(port, paths[name]["pages"][1]) for name, port in ports.items()}
                for name, port in ports.items():  # one after another: the machine has 2 cores
                    results[name] = _measure(port, paths[name])
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=30)
    body = _report(results, checks, count, pages, samples, quick)
    Path(out_path).write_text(body + "\n", encoding="utf-8")
    return body


def _report(results: dict, checks: dict, count: int, pages: int, samples: int, quick: bool) -> str:
    def items_per_s(name):
        r = results[name]["pages"]
        return float("nan") if "error" in r else 1000 * r["n"] / r["total_s"]

    def cell(name, kind, key="p50"):
        r = results[name].get(kind, {})
        return "error" if "error" in r else f"{r[key]:.1f}"

    def ratio(kind, other):
        a, b = results["ours"].get(kind, {}), results[other].get(kind, {})
        return "n/a" if "error" in a or "error" in b else f"{a['p50'] / b['p50']:.2f}"

    ours = items_per_s("ours")
    rows = [["items/s (pages of 1,000)", *(f"{items_per_s(n):,.0f}" for n in ("ours", "tipg", "pygeoapi")),
             f"{ours / items_per_s('tipg'):.2f}× (goal ≥ 2)", f"{ours / items_per_s('pygeoapi'):.2f}× (goal ≥ 5)"]]
    for kind in ("pages", "bbox", "tiles z14", "tiles z16"):
        rows.append([f"{kind} p50 / p99 ms", *(f"{cell(n, kind)} / {cell(n, kind, 'p99')}"
                                              for n in ("ours", "tipg", "pygeoapi")),
                     f"{ratio(kind, 'tipg')}×", f"{ratio(kind, 'pygeoapi')}×"])
    errors = [f"- {n} {k}: {r['error']}" for n in results for k, r in results[n].items() if "error" in r]
    return "\n\n".join([
        "## OGC API – Features: MarketMap, tipg, pygeoapi (bench_ogc)",
        f"{count:,} enterprises{' (quick run)' if quick else ''}; one keep-alive client, servers measured one after "
        f"another against the same database, each with 2 workers; {pages} consecutive pages of 1,000 from offset 0, "
        f"{samples} bbox queries (≈1 km, limit 100) and {samples} tiles per zoom around sampled entities. "
        f"Features on page 2: {checks}. Ratios are ours ÷ theirs: for items/s higher is better, for latency lower. "
        "Our tiles below z15 are per-grid aggregates (issue 7's design), tipg and pygeoapi serve raw points.",
        table(["measure", "MarketMap", "tipg", "pygeoapi", "ours vs tipg", "ours vs pygeoapi"], rows),
        "\n".join(errors) if errors else "All requests answered 200/204.",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(run(args.out, args.quick))


if __name__ == "__main__":
    main()
