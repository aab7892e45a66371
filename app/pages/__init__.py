"""Server-rendered pages (Chinese first; every asset from static/, nothing from the internet)."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# Modules of app.pages (or elsewhere in app) that expose a plain Flask ``bp``; one line per page group.
PAGE_MODULES: tuple[str, ...] = (
    "app.pages.home",
    "app.pages.login",
    "app.pages.address",
    "app.pages.economy",
    "app.pages.grids",
    "app.pages.map",
    "app.pages.perimeter",
    "app.pages.inspections",
    "app.ogc",  # OGC API – Features (its own OpenAPI at /ogc/api)
)


def init_pages(app: Flask) -> None:
    for name in PAGE_MODULES:
        app.register_blueprint(import_module(name).bp)
