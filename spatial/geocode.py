"""Search centres: a WGS84 point, a POI, or an address matched through the address library (地址库).

The library comes from ``address_match.db.cached_library`` (one per process, rebuilt when
``address_entry`` changes).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from address_match.db import cached_library
from spatial.errors import AddressNotMatched, SpatialError
from spatial.search import check_point, poi_by_id

ACCEPTED_LEVELS = ("exact", "partial")


def geocode(session: Session, address: str) -> dict:
    """The best library match for ``address``: ``address_id``, ``standard_text``, WGS84 ``lon``/``lat``,
    ``level`` (exact/partial) and ``score`` in [0, 1]. Raises AddressNotMatched when nothing is close,
    address_match.AddressError for empty or over-long text.
    """
    library = cached_library(session)
    candidates = [c for c in library.match(address, k=1) if c.level in ACCEPTED_LEVELS]
    if not candidates:
        raise AddressNotMatched(f"地址库中未找到该地址，请现场核实 / address not found in the library: {address!r}")
    best = candidates[0]
    entry = library.get(best.address_id)
    return {"address_id": best.address_id, "standard_text": entry.text, "lon": entry.lon, "lat": entry.lat,
            "level": best.level, "score": best.score}


def resolve_centre(session: Session, *, lon: float | None = None, lat: float | None = None,
                   address: str | None = None, poi_id: int | None = None) -> dict:
    """The WGS84 centre of a search from exactly one of: (lon, lat), an address (matched through the
    library) or a POI id. Returns ``{"lon", "lat", "source", ...}`` with what was matched.
    """
    given = [name for name, present in (("lon/lat", lon is not None or lat is not None),
                                        ("address", bool(address)), ("poi_id", poi_id is not None)) if present]
    if len(given) != 1:
        raise SpatialError("请只给出一种中心：lon+lat、address 或 poi_id / give exactly one centre: "
                           f"lon+lat, address or poi_id (got {', '.join(given) or 'none'})")
    if address:
        return {"source": "address", **geocode(session, address)}
    if poi_id is not None:
        poi = poi_by_id(session, poi_id)
        return {"source": "poi", "poi_id": poi["id"], "name": poi["name"], "kind": poi["kind"],
                "lon": poi["lon"], "lat": poi["lat"]}
    if lon is None or lat is None:
        raise SpatialError("lon 和 lat 须同时给出 / lon and lat must both be given")
    lon, lat = check_point(lon, lat)
    return {"source": "point", "lon": lon, "lat": lat}
