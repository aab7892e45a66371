"""The public's rate limit: ``RATE_LIMIT`` (e.g. "600 per minute") requests per client address and
endpoint in a fixed window, counted in this worker's memory by the ``limits`` library. Signed-in users
and static assets are not counted. Answers carry ``X-RateLimit-Limit/Remaining/Reset``; a refusal is a
429 JSON error with ``Retry-After``.

This replaced flask-limiter, whose general machinery (limit resolution, exemption scopes and header
injection on every request) cost 0.2 ms of a 4.5 ms radius search; the counting itself is ``limits``
either way.
"""

from __future__ import annotations

import math
import time

from flask import Flask, g, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.auth import current_viewer
from app.errors import error_response


class _SweepInlineMemoryStorage(MemoryStorage):
    """limits' in-process counters without its housekeeping thread per hit.

    MemoryStorage starts a new 10 ms threading.Timer on almost every hit to drop expired keys; under
    load that thread start cost 4-12 ms per public request (profiled on the radius search), more than
    the search itself. Counters expire lazily on read anyway, so the sweep (which only frees memory of
    clients not seen again) runs inline at most once a second instead.
    """

    STORAGE_SCHEME = ["marketmap-memory"]
    SWEEP_EVERY_S = 1.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage's private hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()


class PublicRateLimit:
    """Counts the public's requests before the view runs (hook order: after the viewer is known)."""

    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config["RATELIMIT_ENABLED"])
        self.item = parse(app.config["RATE_LIMIT"])
        self.limiter = FixedWindowRateLimiter(_SweepInlineMemoryStorage())
        app.before_request(self.check)
        app.after_request(self.add_headers)

    def check(self):
        if not self.enabled or request.endpoint in (None, "static") or current_viewer().signed_in:
            return None
        allowed, reset_at, g.rate_headers = self.count(request.remote_addr, request.endpoint)
        if allowed:
            return None
        response, status = error_response(429, "too_many_requests",
                                          f"请求过于频繁，请稍后再试 / too many requests: {self.item}")
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return response, status

    def count(self, address: str | None, endpoint: str) -> tuple[bool, float, list[tuple[str, str]]]:
        """Count one request from ``address`` to ``endpoint``: whether it is within the limit, when the
        window ends (epoch seconds) and the headers that say so."""
        key = (address or "unknown", endpoint)
        allowed = self.limiter.hit(self.item, *key)
        reset_at, remaining = self.limiter.get_window_stats(self.item, *key)
        return allowed, reset_at, [("X-RateLimit-Limit", str(self.item.amount)),
                                   ("X-RateLimit-Remaining", str(remaining)),
                                   ("X-RateLimit-Reset", str(math.ceil(reset_at)))]

    def add_headers(self, response):
        for name, value in g.pop("rate_headers", ()):
            response.headers[name] = value
        return response
