"""Engines and sessions, shared by the app, the CLI, Alembic and tests."""

from __future__ import annotations

import re
from functools import lru_cache

from psycopg.adapt import Loader
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, *, statement_timeout_ms: int | None = None, interactive: bool = False,
                **kwargs) -> Engine:
    """An engine with JIT off (it costs more than it saves on interactive spatial queries).

    ``interactive`` engines (the web server's, and benchmarks' baselines of its statements) also run
    without parallel workers: on 2 cores a Gather made the densest z16 tile 17–20 ms instead of 7 ms,
    since starting workers costs more than the few thousand rows of one request, and concurrent
    requests already use every core. Batch work (classification, grid assignment) keeps them.
    """
    options = "-c jit=off"
    if interactive:
        options += " -c max_parallel_workers_per_gather=0"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(normalize_url(url), connect_args={"options": options}, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # SQLAlchemy text()'s ":name", not "::type"


@lru_cache(maxsize=256)
def pyformat(sql: str) -> str:
    """A ``text()`` statement's ``:name`` parameters as the driver's ``%(name)s`` (and ``%`` as ``%%``)."""
    return _BIND.sub(r"%(\1)s", sql.replace("%", "%%"))


class _Utf8BytesLoader(Loader):
    """``text`` values as the UTF-8 bytes the server sent, not decoded."""

    def load(self, data) -> bytes:
        return bytes(data)


def driver_execute(bind: Session | Connection, sql: str, params: dict, *, text_as_bytes: bool = False) -> list[tuple]:
    """Run a ``text()``-style statement on the driver's own cursor, in ``bind``'s transaction; its rows.

    For the hottest read paths (tiles, radius search): SQLAlchemy's result set-up matched the
    statement's columns against its text on every call, a quarter of a cached tile request.
    ``text_as_bytes`` gives ``text`` columns as UTF-8 bytes, for JSON built by the server and sent on
    as it is (a dense radius search decoded 200 KB into a str, and Flask encoded it back).
    """
    connection = bind.connection() if isinstance(bind, Session) else bind
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        if text_as_bytes:
            if driver.info.encoding != "utf-8":
                raise ValueError(f"text_as_bytes needs a UTF-8 client encoding, not {driver.info.encoding}")
            cursor.adapters.register_loader("text", _Utf8BytesLoader)
        cursor.execute(pyformat(sql), params, prepare=True)
        return cursor.fetchall()


def run_script(session: Session, script: str, params: dict) -> None:
    """Run the ``;``-separated statements of ``script`` in order, each with the ``params`` it names.

    For the set-based steps written as short scripts of temporary tables (grid assignment, import
    staging); scripts come from code and hold no ``;`` inside literals.
    """
    for statement in filter(None, (s.strip() for s in script.split(";"))):
        session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
