"""Load the address library (地址库) from PostGIS into an in-memory ``AddressLibrary``.

Kept apart from the pure core so normalise/parse/match stay database-free. One library per
process, rebuilt when the ``address_entry`` data changes (its data version or its highest id).
"""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from .library import AddressLibrary

_ROWS_SQL = text("""
    SELECT id, standard_text, ST_X(geom), ST_Y(geom), building_id
    FROM address_entry ORDER BY id
""")
_KEY_SQL = text("""
    SELECT (SELECT max(id) FROM address_entry),
           (SELECT version FROM data_version WHERE layer = 'addresses')
""")

_lock = threading.Lock()
_cache: dict[str, object] = {"key": None, "library": None}


def load_library(session: Session) -> AddressLibrary:
    """A fresh library of every ``address_entry`` row (lon/lat in WGS84)."""
    result = session.execute(_ROWS_SQL).yield_per(50_000)
    return AddressLibrary(tuple(row) for row in result)


def cached_library(session: Session) -> AddressLibrary:
    """This process's library, rebuilt only when the address data changed."""
    key = tuple(session.execute(_KEY_SQL).one())
    with _lock:
        if _cache["key"] != key or _cache["library"] is None:
            _cache["library"] = load_library(session)
            _cache["key"] = key
        return _cache["library"]


def forget_library() -> None:
    """Drop the cached library (tests, or after bulk changes that keep ids)."""
    with _lock:
        _cache["key"] = _cache["library"] = None
