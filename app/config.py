"""Configuration, one class per environment, read from MARKETMAP_* environment variables."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "postgresql+psycopg://marketmap:marketmap@127.0.0.1:5432/marketmap"


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which variable to fix."""


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


class Config:
    """Production defaults."""

    DATABASE_URL = os.environ.get("MARKETMAP_DATABASE_URL", DEFAULT_DATABASE_URL)
    SECRET_KEY = os.environ.get("MARKETMAP_SECRET_KEY", "")
    STATEMENT_TIMEOUT_MS = _int_env("MARKETMAP_STATEMENT_TIMEOUT_MS", 15000)
    MAX_CONTENT_LENGTH = _int_env("MARKETMAP_MAX_UPLOAD_MB", 64) * 1024 * 1024
    TESTING = False
    DEBUG = False
    JSON_AS_ASCII = False

    API_TITLE = "MarketMap API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}  # never call swagger.io from an intranet


class DevelopmentConfig(Config):
    DEBUG = False  # the Werkzeug debugger never runs; errors are JSON in every environment


class TestingConfig(Config):
    TESTING = True


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestingConfig}


def load_config(overrides: dict | None = None) -> dict:
    """The config for MARKETMAP_ENV (default production), with overrides applied and checked."""
    env = os.environ.get("MARKETMAP_ENV", "production")
    if env not in CONFIGS:
        raise ConfigError(f"MARKETMAP_ENV must be one of {sorted(CONFIGS)}, got {env!r}")
    cls = CONFIGS[env]
    values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    values.update(overrides or {})
    if not values["DATABASE_URL"].startswith(("postgresql", "postgres://")):
        raise ConfigError("MARKETMAP_DATABASE_URL must be a PostgreSQL URL (postgresql://user:pw@host:port/db)")
    values["SECRET_KEY"] = values["SECRET_KEY"] or os.environ.get("MARKETMAP_SECRET_KEY") or ""
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = os.urandom(32).hex()  # one process only; `marketmap serve` shares one key
    return values
