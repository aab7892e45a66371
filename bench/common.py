"""Helpers shared by the benchmark sections: scratch databases, timing, Markdown."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from models import migrate
from models.db import make_engine, normalize_url


def base_url() -> str:
    return normalize_url(os.environ.get("MARKETMAP_DATABASE_URL",
                                        "postgresql://marketmap:marketmap@127.0.0.1:5432/marketmap"))


@contextmanager
def scratch_database(prefix: str = "marketmap_bench", keep: bool = False) -> Iterator[str]:
    """A migrated, empty database that is dropped afterwards (unless keep)."""
    base = make_url(base_url())
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


SHARED_ENV = "MARKETMAP_BENCH_DATABASE_URL"


@contextmanager
def bench_database(enterprises: int = 1_000_000, seed: int = 7) -> Iterator[str]:
    """A database holding the demo district at this size.

    ``make bench`` builds the 1M district once (timed in the demo section) and hands its URL to every
    section in MARKETMAP_BENCH_DATABASE_URL; a section run alone builds its own scratch copy.
    """
    shared = os.environ.get(SHARED_ENV)
    if shared and _enterprise_count(shared) == enterprises:
        yield shared
        return
    from app.cli import after_demo_build
    from app.demo import build_demo

    with scratch_database() as url:
        engine = make_engine(url)
        build_demo(engine, enterprises=enterprises, seed=seed, progress=False)
        after_demo_build(engine)
        engine.dispose()
        yield url


def _enterprise_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM enterprise")).scalar()
    except Exception:  # a missing or empty database simply isn't the shared one
        return -1
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cmd: list[str], env: dict, port: int, probe: str, *, attempts: int = 240) -> subprocess.Popen:
    """Start a server process (ours, tipg, pygeoapi…) and wait until ``probe`` answers below 500."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the server, read on failure
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(attempts):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request("GET", probe)
            if conn.getresponse().status < 500:
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    log.seek(0)
    raise RuntimeError(f"server did not start: {' '.join(cmd)}: {log.read().decode()[-2000:]}")


@contextmanager
def served(url: str, *, workers: int = 2, probe: str = "/ogc/conformance") -> Iterator[int]:
    """``marketmap serve`` (gunicorn, production settings) on a free loopback port; yields the port.

    The probe is a cheap page: /healthz counts every table exactly, slow at 10^6 rows on a busy machine."""
    port = free_port()
    marketmap = str(Path(sys.executable).with_name("marketmap"))
    proc = start_server([marketmap, "serve", "--port", str(port), "--workers", str(workers)],
                        {"MARKETMAP_DATABASE_URL": url, "MARKETMAP_ENV": "production"}, port, probe)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def http_times(port: int, paths: list[str], *, headers: dict | None = None, warmup: int = 20) -> dict:
    """GET each path once on one keep-alive connection; latency percentiles (ms) and status counts."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, statuses = [], {}
    for i, path in enumerate(paths):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        if i >= warmup:
            times.append(time.perf_counter() - started)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
    return {**percentiles_ms(times), "statuses": statuses}


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def percentiles_ms(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50": statistics.median(ordered) * 1000, "p90": pick(0.90), "p99": pick(0.99), "n": len(ordered)}


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
