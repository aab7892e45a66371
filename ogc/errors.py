"""Typed errors of the OGC layer; app/ogc.py maps them to HTTP once (``status`` and ``code`` per class)."""

from __future__ import annotations


class OgcError(ValueError):
    """A request the caller can fix: bad bbox, unknown CRS, a property that is not queryable (HTTP 400)."""

    status = 400
    code = "invalid_parameter"


class NotFound(OgcError):
    """No such collection, or no such feature in the caller's view of it (HTTP 404)."""

    status = 404
    code = "not_found"


class Cql2Error(OgcError):
    """A CQL2 filter that does not parse or names what it may not: carries the 0-based character
    position of the offending token in the filter text (for CQL2-JSON: in the JSON document)."""

    code = "invalid_filter"

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (位置 / at character {position})")
        self.position = position
