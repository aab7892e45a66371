"""Coordinate systems: WGS84, CGCS2000, Web Mercator (EPSG, through pyproj) and GCJ-02 / BD-09 (ours).

All functions take and return (lon, lat) in that order (``always_xy=True``), as floats or numpy
arrays of the same shape. GCJ-02 (AMap, Tencent, Dianping, Meituan) and BD-09 (Baidu) are not in
EPSG: they are deliberate offsets of WGS84 inside China, so their forward formulas are written here
and their inverses are solved by fixed-point iteration to well under a centimetre.

>>> lon, lat = wgs84_to_gcj02(106.5, 29.6)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(back[0], 7), round(back[1], 7)
(106.5, 29.6)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Geod, Transformer

WGS84 = 4326
CGCS2000 = 4490
WEB_MERCATOR = 3857
SYSTEMS = ("wgs84", "cgcs2000", "gcj02", "bd09")  # what an import or a query may declare

GEOD = Geod(ellps="WGS84")

# GCJ-02 is defined on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_FACTOR = np.pi * 3000.0 / 180.0
_INVERSE_TOL_DEG = 1e-10  # ~0.01 mm
_INVERSE_MAX_ITER = 30


class CrsError(ValueError):
    """An unknown coordinate system or coordinates it cannot take."""


@lru_cache(maxsize=32)
def transformer(from_srid: int, to_srid: int) -> Transformer:
    """A cached pyproj transformer between two EPSG codes, lon/lat order."""
    return Transformer.from_crs(f"EPSG:{from_srid}", f"EPSG:{to_srid}", always_xy=True)


def transform(x, y, *, from_srid: int, to_srid: int):
    """(x, y) from one EPSG system to another; degrees for geographic systems, metres for projected."""
    return transformer(from_srid, to_srid).transform(x, y)


def wgs84_to_web_mercator(lon, lat):
    return transform(lon, lat, from_srid=WGS84, to_srid=WEB_MERCATOR)


def web_mercator_to_wgs84(x_m, y_m):
    return transform(x_m, y_m, from_srid=WEB_MERCATOR, to_srid=WGS84)


def cgcs2000_to_wgs84(lon, lat):
    """CGCS2000 → WGS84: PROJ treats them as equal (they differ by centimetres at city scale)."""
    return transform(lon, lat, from_srid=CGCS2000, to_srid=WGS84)


def wgs84_to_cgcs2000(lon, lat):
    return transform(lon, lat, from_srid=WGS84, to_srid=CGCS2000)


def in_china(lon, lat):
    """The rough box inside which GCJ-02 is shifted; outside it GCJ-02 equals WGS84."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _gcj02_offset(lon, lat):
    """The GCJ-02 shift (dlon, dlat) in degrees at a WGS84 point."""
    x, y = lon - 105.0, lat - 35.0
    root = np.sqrt(np.abs(x))
    waves = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root
    dlat += 2.0 * waves / 3.0
    dlat += 2.0 * (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) / 3.0
    dlat += 2.0 * (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root
    dlon += 2.0 * waves / 3.0
    dlon += 2.0 * (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) / 3.0
    dlon += 2.0 * (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) / 3.0
    # Metres of offset → degrees on the Krasovsky ellipsoid at this latitude.
    rad_lat = np.radians(lat)
    w = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    meridian = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w)) * np.pi / 180.0
    parallel = _KRASOVSKY_A / np.sqrt(w) * np.cos(rad_lat) * np.pi / 180.0
    inside = in_china(lon, lat)
    return np.where(inside, dlon / parallel, 0.0), np.where(inside, dlat / meridian, 0.0)


def _out(lon, lat, like):
    """Return plain floats for scalar input, arrays otherwise."""
    if np.ndim(like) == 0:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """WGS84 → GCJ-02 (Mars coordinates), identity outside China."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj02_offset(lon_a, lat_a)
    return _out(lon_a + dlon, lat_a + dlat, lon)


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → WGS84 by fixed-point iteration on the forward formula (error < 1 mm)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_FACTOR)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, lon)


def bd09_to_gcj02(lon, lat):
    """BD-09 → GCJ-02 by fixed-point iteration on the forward formula (error < 1 mm)."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _invert(forward, lon, lat):
    """Solve forward(p) = target for p, starting from the target itself."""
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    guess_lon, guess_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        got_lon, got_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = np.asarray(got_lon) - target_lon, np.asarray(got_lat) - target_lat
        guess_lon, guess_lat = guess_lon - err_lon, guess_lat - err_lat
        if max(np.max(np.abs(err_lon)), np.max(np.abs(err_lat))) < _INVERSE_TOL_DEG:
            break
    return _out(guess_lon, guess_lat, lon)


_TO_WGS84 = {
    "wgs84": lambda lon, lat: _out(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), lon),
    "cgcs2000": cgcs2000_to_wgs84,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def to_wgs84(lon, lat, *, system: str):
    """Coordinates declared in ``system`` (one of SYSTEMS) → WGS84 lon/lat."""
    try:
        convert = _TO_WGS84[system.lower()]
    except (KeyError, AttributeError):
        raise CrsError(f"未知坐标系 / unknown coordinate system {system!r}; use one of {', '.join(SYSTEMS)}") from None
    return convert(lon, lat)


def geodesic_distance_m(lon1, lat1, lon2, lat2):
    """Distance in metres on the WGS84 ellipsoid (pyproj.Geod)."""
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return dist


def destination(lon, lat, *, azimuth_deg: float, distance_m: float):
    """The WGS84 point ``distance_m`` from (lon, lat) along ``azimuth_deg`` (clockwise from north)."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth_deg, distance_m)
    return lon2, lat2
