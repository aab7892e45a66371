"""schemathesis against the live server's OpenAPI document, as the public, on a small budget: no 5xx.

The full run (more examples, also with an administrator's token) is ``python -m bench.bench_schemathesis``.
"""

from __future__ import annotations

from bench.bench_schemathesis import fuzz


def test_schemathesis_finds_no_server_error(live_server):
    stats = fuzz(live_server, max_examples=3, time_budget_s=40)
    assert stats["requests"] > 100
    assert stats["server_errors"] == [], stats["server_errors"][:5]
