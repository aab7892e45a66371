"""Run the app under gunicorn from Python, so ``marketmap serve`` needs no extra config file."""

from __future__ import annotations

import gc
import os

from gunicorn.app.base import BaseApplication

# Access logging is off by default: it formats and writes a line per request inside the worker.
# MARKETMAP_ACCESS_LOG=1 (or "-") logs to stdout, any other value is a file path.
ACCESS_LOG_ENV = "MARKETMAP_ACCESS_LOG"


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        app = create_app()
        # What start-up built (modules, the app, the rules) lives as long as the worker: moved out of the
        # collector's generations, full collections no longer walk it in the middle of a request.
        gc.collect()
        gc.freeze()
        return app


def access_log() -> str | None:
    """Where gunicorn writes its access log: None (off) unless MARKETMAP_ACCESS_LOG says otherwise."""
    value = os.environ.get(ACCESS_LOG_ENV, "").strip()
    if value in ("", "0"):
        return None
    return "-" if value in ("1", "-") else value


def run_gunicorn(*, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads,
               "worker_class": "gthread", "timeout": 120, "accesslog": access_log()}).run()
