"""Every error leaves the app as JSON {"error", "message"} with the right status code.

Domain packages raise typed errors; this is the one place that maps them to HTTP.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the caller can fix; `status` defaults to 400."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotFound(ApiError):
    status = 404
    code = "not_found"


# Domain error classes → (status, code). Filled by register_domain_error().
_DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {}


def register_domain_error(exc_class: type[Exception], status: int, code: str) -> None:
    _DOMAIN_ERRORS[exc_class] = (status, code)


def error_response(status: int, code: str, message: str, **extra):
    body = {"error": code, "message": message, **extra}
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, lambda e: error_response(e.status, e.code, e.message))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    message = exc.description or exc.name
    extra = {}
    data = getattr(exc, "data", None)  # flask-smorest/webargs validation details
    if isinstance(data, dict) and data.get("messages"):
        extra["details"] = data["messages"]
        message = _flatten_validation(data["messages"]) or message
        code = "invalid_input"
    return error_response(exc.code or 500, code, message, **extra)


def _flatten_validation(messages: dict) -> str:
    parts = []
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, errs in fields.items():
                errs = errs if isinstance(errs, list) else [str(errs)]
                parts.append(f"{field}: {'; '.join(map(str, errs))}")
        else:
            parts.append(f"{location}: {fields}")
    return "; ".join(parts)


def _unexpected(exc: Exception):
    for cls, (status, code) in _DOMAIN_ERRORS.items():
        if isinstance(exc, cls):
            return error_response(status, code, str(exc))
    log.exception("unhandled error")
    return error_response(500, "internal_error", "服务器内部错误 / internal server error")
