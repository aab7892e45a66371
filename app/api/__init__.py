"""The JSON API: one flask-smorest Api, so the OpenAPI document is generated from the code."""

from __future__ import annotations

import flask_smorest
from flask import Flask
from flask_smorest import Api
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    # Bad input is the caller's mistake: 400 with the reasons, not webargs' 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with 400 for invalid arguments."""

    ARGUMENTS_PARSER = _Parser()


api = Api()


def init_api(app: Flask) -> None:
    api.init_app(app, spec_kwargs={
        "info": {"description": "MarketMap: 市场监管空间监管平台 JSON API"},
    })
    from app.api import health

    api.register_blueprint(health.blp)
