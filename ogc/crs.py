"""CRS URIs of OGC API – Features Part 2 ↔ PostGIS SRIDs, with each system's axis order.

CRS84 is lon/lat. EPSG:4326 and EPSG:4490 (CGCS2000) as OGC URIs are lat/lon: coordinates in and out
are swapped for them (``lat_lon``). EPSG:3857 is easting/northing in metres. Storage is EPSG:4326
lon/lat (DESIGN.md), so reading in CRS84 needs no transform at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogc.errors import OgcError
from spatial.crs import CGCS2000, WEB_MERCATOR, WGS84


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    lat_lon: bool  # axis order of the URI: True → (lat, lon)


CRS84 = Crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", WGS84, False)
SUPPORTED: tuple[Crs, ...] = (
    CRS84,
    Crs("http://www.opengis.net/def/crs/EPSG/0/4326", WGS84, True),
    Crs("http://www.opengis.net/def/crs/EPSG/0/4490", CGCS2000, True),
    Crs("http://www.opengis.net/def/crs/EPSG/0/3857", WEB_MERCATOR, False),
)
STORAGE = CRS84
_BY_URI = {c.uri: c for c in SUPPORTED}
# Short spellings clients use: [EPSG:4326] safe CURIEs and OGC:CRS84.
_ALIASES = {"CRS84": CRS84, "OGC:CRS84": CRS84, "[OGC:CRS84]": CRS84,
            **{f"EPSG:{c.srid}": c for c in SUPPORTED[1:]}, **{f"[EPSG:{c.srid}]": c for c in SUPPORTED[1:]}}


def parse_crs(value: str | None, *, parameter: str = "crs") -> Crs:
    """The Crs for a URI (or a short alias); CRS84 when absent; OgcError for anything else."""
    if value is None or value.strip() == "":
        return CRS84
    text = value.strip().strip("<>")
    text = text.replace("https://", "http://")
    found = _BY_URI.get(text) or _ALIASES.get(text.upper())
    if found is None:
        supported = ", ".join(c.uri for c in SUPPORTED)
        raise OgcError(f"不支持的坐标系 / unsupported {parameter}: {value}; supported: {supported}")
    return found


def bbox_lon_lat_order(bbox: tuple[float, ...], crs: Crs) -> tuple[float, ...]:
    """A 4- or 6-number bbox given in ``crs`` axis order → x/y order (lon/lat or easting/northing)."""
    if not crs.lat_lon:
        return bbox
    if len(bbox) == 4:
        return bbox[1], bbox[0], bbox[3], bbox[2]
    return bbox[1], bbox[0], bbox[2], bbox[4], bbox[3], bbox[5]
