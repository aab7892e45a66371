"""schemathesis against the OpenAPI document of a live MarketMap: how many requests, how many 5xx.

    python -m bench.bench_schemathesis --out FILE [--quick]

Builds a scratch database with a small demo district, serves the app on 127.0.0.1, and lets
schemathesis generate requests for every operation of ``/api/v1/openapi.json``, valid and invalid
(positive and negative generation), twice: as the public and with an administrator's API token, so
the code behind the role checks is reached too. Rate limits are off for the run (they would answer
429 long before the budget is spent); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from werkzeug.serving import make_server

from bench.common import scratch_database, table

TIMEOUT_S = 20


def fuzz(base_url: str, *, max_examples: int, headers: dict | None = None, time_budget_s: float | None = None,
         skip: frozenset[str] = frozenset()) -> dict:
    """Run generated requests against every operation; returns counts and the 5xx seen (method, path, status).

    ``max_examples`` is per operation and generation mode; ``time_budget_s`` stops starting new operations;
    ``skip`` holds operation labels (``"DELETE /api/v1/auth/tokens/{token_id}"``) not to call.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    http = requests.Session()
    stats = {"requests": 0, "operations": 0, "server_errors": [], "by_class": collections.Counter(),
             "by_status": collections.Counter()}
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in skip:
            continue
        stats["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time_budget_s is not None and time.perf_counter() - started > time_budget_s:
                stats["stopped_early"] = True
                return stats
            _fuzz_operation(operation, mode, base_url, http, headers or {}, max_examples, stats)
    return stats


def _fuzz_operation(operation, mode, base_url, http, headers, max_examples, stats) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True, print_blob=False,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(base_url=base_url, session=http, headers=headers, timeout=TIMEOUT_S)
        stats["requests"] += 1
        stats["by_class"][f"{response.status_code // 100}xx"] += 1
        stats["by_status"][response.status_code] += 1
        if response.status_code >= 500:
            stats["server_errors"].append((case.method, case.formatted_path, response.status_code,
                                           response.text[:200]))

    with contextlib.suppress(Unsatisfiable):  # no valid (or invalid) input exists for this operation
        run()


@contextmanager
def serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def admin_token(app) -> str:
    """An administrator with a fresh API token in the app's database (a scratch database here)."""
    from app import accounts

    with app.app_context():
        session = app.extensions["marketmap.db"].sessionmaker()
        user = accounts.create_user(session, username="bench_admin", password="bench password 1", role="admin",
                                    actor="bench")
        _, secret = accounts.create_token(session, user, name="schemathesis")
        session.commit()
        session.close()
    return secret


def run(engine_url: str, out_path: str | None, quick: bool) -> str:
    from app import create_app
    from app.cli import after_demo_build
    from app.demo import build_demo
    from models.db import make_engine

    engine = make_engine(engine_url)
    build_demo(engine, enterprises=3000, seed=7, progress=False)  # the test suite's district
    after_demo_build(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": engine_url, "RATELIMIT_ENABLED": False})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per generated request is noise
    examples = 10 if quick else 50
    rows, errors = [], []
    with serve(app) as base_url:
        for label, headers in (("public", {}), ("admin token", {"Authorization": f"Bearer {admin_token(app)}"})):
            took = time.perf_counter()
            # Revoking tokens by guessed id would revoke the run's own token and turn the rest into 401s.
            stats = fuzz(base_url, max_examples=examples, headers=headers,
                         skip=frozenset({"DELETE /api/v1/auth/tokens/{token_id}"}) if headers else frozenset())
            took = time.perf_counter() - took
            by, exact = stats["by_class"], stats["by_status"]
            rows.append([label, stats["operations"], stats["requests"], by["2xx"], by["3xx"], by["4xx"],
                         exact[401] + exact[403], len(stats["server_errors"]), f"{took:.0f}"])
            errors += [(label, *e) for e in stats["server_errors"]]
    section = _render(rows, errors, examples)
    if out_path:
        Path(out_path).write_text(section, encoding="utf-8")
    return section


def _render(rows, errors, examples) -> str:
    total = sum(r[2] for r in rows)
    lines = ["## schemathesis (OpenAPI fuzzing)", "",
             f"schemathesis {schemathesis.SCHEMATHESIS_VERSION} against `/api/v1/openapi.json` of a live server "
             f"(werkzeug, 127.0.0.1), {examples} examples per operation and mode (positive + negative), as the "
             f"public and as an administrator's API token: **{total} requests, {len(errors)} responses 5xx**.", "",
             table(["as", "operations", "requests", "2xx", "3xx", "4xx", "of which 401/403", "5xx", "seconds"], rows)]
    if errors:
        lines += ["", "5xx responses:", ""]
        lines += [f"- {who}: {method} {path} → {status}: `{body[:120]}`" for who, method, path, status, body in errors[:30]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the Markdown section to this file")
    parser.add_argument("--quick", action="store_true", help="10 examples per operation instead of 50")
    args = parser.parse_args()
    with scratch_database("marketmap_bench_st") as url:
        print(run(url, args.out, args.quick))


if __name__ == "__main__":
    main()
