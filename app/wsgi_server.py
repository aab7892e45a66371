"""Run the app under gunicorn from Python, so ``marketmap serve`` needs no extra config file."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        return create_app()


def run_gunicorn(*, host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads,
               "worker_class": "gthread", "timeout": 120, "accesslog": "-"}).run()
