"""The JSON API: one flask-smorest Api, so the OpenAPI document is generated from the code."""

from __future__ import annotations

from importlib import import_module

import flask_smorest
from flask import Flask
from flask_smorest import Api
from webargs.flaskparser import FlaskParser

# Modules of app.api that expose a flask-smorest ``blp``; one line per surface.
API_MODULES = (
    "app.api.health",
    "app.api.auth",
    "app.api.address",
    "app.api.grids", "app.api.complaints", "app.api.open311",
    "app.api.economy",
    "app.api.search",
    "app.api.enterprises",
    "app.api.tiles",
    "app.api.imports",
    "app.api.inspections",
)


class _Parser(FlaskParser):
    # Bad input is the caller's mistake: 400 with the reasons, not webargs' 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with 400 for invalid arguments."""

    ARGUMENTS_PARSER = _Parser()


def init_api(app: Flask) -> Api:
    api = Api(app, spec_kwargs={"info": {"description": "MarketMap: 市场监管空间监管平台 JSON API"}})
    for name in API_MODULES:
        api.register_blueprint(import_module(name).blp)
    app.extensions["marketmap.api"] = api
    return api
