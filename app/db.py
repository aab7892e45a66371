"""The database bound to the Flask app: one engine, a session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from models.db import make_engine, make_sessionmaker

# Connections are not pinged on every checkout: pool_pre_ping cost a SELECT 1 round trip per request
# (a sixth of a radius request in the profile on a busy 2-core machine). A connection the server
# dropped fails its request once; SQLAlchemy then invalidates the whole pool, so the next requests
# reconnect. Recycling keeps connections younger than typical idle timeouts of firewalls and poolers.
POOL_RECYCLE_S = 1800


class Database:
    """Holds the engine and hands out one SQLAlchemy session per request."""

    def __init__(self, app: Flask | None = None):
        self.engine = None
        self.sessionmaker = None
        self.owns_sessions = True  # tests hand in a session they roll back themselves
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"],
                                  statement_timeout_ms=app.config["STATEMENT_TIMEOUT_MS"], interactive=True,
                                  pool_size=5, max_overflow=5, pool_pre_ping=False, pool_recycle=POOL_RECYCLE_S)
        self.sessionmaker = make_sessionmaker(self.engine)
        app.extensions["marketmap.db"] = self
        app.teardown_appcontext(self._teardown)

    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    def reader_connection(self) -> Connection:
        """A pooled connection in autocommit for read-only statements: no BEGIN and ROLLBACK round trips.
        Closing it returns it to the pool out of autocommit."""
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _teardown(self, exc: BaseException | None) -> None:
        reader = g.pop("db_reader", None)
        if reader is not None:
            reader.close()
        session = g.pop("db_session", None)
        if session is not None and self.owns_sessions:
            session.close()


def get_db() -> Database:
    return current_app.extensions["marketmap.db"]


def get_session() -> Session:
    """The request's session (one per request, closed at teardown)."""
    return get_db().session()


def get_reader() -> tuple[Session | Connection, bool]:
    """Where a read-only request runs its statements, and whether that is committed data only.

    A connection of its own in autocommit when the request's session has no transaction open: one
    statement and no BEGIN and ROLLBACK round trips (two of three per radius search or tile request,
    and each costs milliseconds when the server's cores are busy), and no ORM session and transaction
    set up around it (30–50 µs of Python less). A session already in a transaction (an
    earlier write in the request, or tests that hand in theirs) is returned as it is, so it sees its
    own changes; ``False`` then says the data may be uncommitted (nothing to share across requests).
    Sessions handed in from outside (``owns_sessions`` off: tests) are always used as they are.
    """
    db = get_db()
    if not db.owns_sessions:
        return get_session(), False
    session = g.get("db_session")
    if session is not None and session.in_transaction():
        return session, False
    if "db_reader" not in g:
        g.db_reader = db.reader_connection()
    return g.db_reader, True
