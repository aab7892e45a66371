"""The JSON API: one flask-smorest Api, so the OpenAPI document is generated from the code."""

from __future__ import annotations

import re
from importlib import import_module

import flask_smorest
from flask import Flask
from flask_smorest import Api
from webargs.flaskparser import FlaskParser

from app.security import SESSION_COOKIE

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
    """flask-smorest's Blueprint with 400 for invalid arguments, and argument schemas built once."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema, *args, **kwargs):
        # Given a class, webargs builds a new schema instance on every request (about 0.1 ms of a radius
        # search's time in Flask, profiled); marshmallow schemas are read-only once built, so one serves all.
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


def init_api(app: Flask) -> Api:
    api = Api(app, spec_kwargs={"info": {"description": "MarketMap: 市场监管空间监管平台 JSON API"}})
    for name in API_MODULES:
        api.register_blueprint(import_module(name).blp)
    _document_security(app, api)
    app.extensions["marketmap.api"] = api
    return api


# How a caller says who they are (app.security): an API token, or the session cookie of a login.
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "API 令牌（POST /api/v1/auth/tokens 签发）/ an API token from POST /api/v1/auth/tokens"},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                   "description": "登录会话（/login）；改变状态的请求另需 X-CSRF-Token / a login session; "
                                  "state-changing requests also need X-CSRF-Token"},
}
_SIGNED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
_ERROR_RESPONSES = {
    "UNAUTHORIZED": "未登录或令牌无效 / not signed in, or an invalid token",
    "FORBIDDEN": "角色无权访问 / the caller's role may not use this",
    "NOT_FOUND": "对象不存在 / no such object",
}


def _document_security(app: Flask, api: Api) -> None:
    """Put the security schemes and, on every operation, who may call it (``app.auth.ROUTE_POLICY``)
    into the OpenAPI document: ``security`` (optional for public operations), ``x-minimum-role``, and
    the 401/403 (non-public) and 404 (path parameters) answers the server gives."""
    from app.auth import UNCLASSIFIED_POLICY, policy_for

    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    for name, description in _ERROR_RESPONSES.items():
        api.spec.components.response(name, {"description": description, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    paths = api.spec._paths  # apispec keeps the operations here until to_dict(); no public accessor
    for rule in app.url_map.iter_rules():
        operations = paths.get(re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule))
        if not operations:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = operations.get(method.lower())
            if operation is None:
                continue
            role = policy_for(rule.endpoint, method) or UNCLASSIFIED_POLICY
            operation["security"] = ([{}] if role == "public" else []) + _SIGNED_IN
            operation["x-minimum-role"] = role
            responses = operation.setdefault("responses", {})
            if role != "public":
                responses.setdefault("401", {"$ref": "#/components/responses/UNAUTHORIZED"})
                responses.setdefault("403", {"$ref": "#/components/responses/FORBIDDEN"})
            if "<" in rule.rule:
                responses.setdefault("404", {"$ref": "#/components/responses/NOT_FOUND"})
