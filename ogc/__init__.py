"""OGC API – Features as a plain library (no Flask): the collection registry, CQL2 parsing and its
compilation to bound-parameter SQL, CRS URIs, and item queries that build GeoJSON in PostgreSQL.

``app/ogc.py`` is the thin HTTP side: it parses query parameters, calls :func:`ogc.query.items`, and
serialises. Identifiers in SQL come only from :mod:`ogc.collections`; everything a caller sends is bound.
"""

from ogc.errors import Cql2Error, OgcError

__all__ = ["Cql2Error", "OgcError"]
