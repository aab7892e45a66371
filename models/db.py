"""Engines and sessions, shared by the app, the CLI, Alembic and tests."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, *, statement_timeout_ms: int | None = None, **kwargs) -> Engine:
    """An engine with JIT off (it costs more than it saves on interactive spatial queries)."""
    options = "-c jit=off"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(normalize_url(url), connect_args={"options": options}, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
