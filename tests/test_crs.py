"""Coordinate systems: EPSG transforms through pyproj, GCJ-02 and BD-09 conversions (no database)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from spatial import crs
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def amap_points():
    """Real AMap POIs of Hangzhou Xiaoshan carrying both GCJ-02 and WGS84 columns."""
    with open(shared_data("poi/hangzhou_xiaoshan_amap.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cols = ("marlon", "marlat", "wgs84lon", "wgs84lat")
    return {c: np.array([float(r[c]) for r in rows]) for c in cols}


def test_gcj02_to_wgs84_matches_the_amap_file_within_a_metre(amap_points):
    lon, lat = crs.gcj02_to_wgs84(amap_points["marlon"], amap_points["marlat"])
    error_m = crs.geodesic_distance_m(lon, lat, amap_points["wgs84lon"], amap_points["wgs84lat"])
    assert len(error_m) > 1900
    assert error_m.max() < 1.0


def test_wgs84_to_gcj02_matches_the_amap_file_within_a_metre(amap_points):
    lon, lat = crs.wgs84_to_gcj02(amap_points["wgs84lon"], amap_points["wgs84lat"])
    error_m = crs.geodesic_distance_m(lon, lat, amap_points["marlon"], amap_points["marlat"])
    assert error_m.max() < 1.0


def test_gcj02_offset_is_hundreds_of_metres_in_china(amap_points):
    shift_m = crs.geodesic_distance_m(amap_points["marlon"], amap_points["marlat"],
                                      amap_points["wgs84lon"], amap_points["wgs84lat"])
    assert 200 < np.median(shift_m) < 800


@pytest.mark.parametrize("forward, inverse", [
    (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
    (crs.gcj02_to_bd09, crs.bd09_to_gcj02),
    (crs.wgs84_to_bd09, crs.bd09_to_wgs84),
])
@pytest.mark.parametrize("lon, lat", [(106.55, 29.72), (118.80, 31.93), (120.26, 30.22), (87.6, 43.8), (126.6, 45.7)])
def test_round_trips_are_exact_to_a_centimetre(forward, inverse, lon, lat):
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert crs.geodesic_distance_m(lon, lat, back_lon, back_lat) < 0.01


def test_bd09_is_further_shifted_than_gcj02():
    lon, lat = 106.55, 29.72
    gcj = crs.wgs84_to_gcj02(lon, lat)
    bd = crs.gcj02_to_bd09(*gcj)
    assert 500 < crs.geodesic_distance_m(*gcj, *bd) < 1500  # BD-09 adds ~0.0065°/0.006°


def test_outside_china_gcj02_is_wgs84():
    assert crs.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert crs.gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_scalars_in_floats_out_arrays_in_arrays_out():
    lon, lat = crs.gcj02_to_wgs84(106.5, 29.6)
    assert isinstance(lon, float) and isinstance(lat, float)
    lons, lats = crs.gcj02_to_wgs84(np.array([106.5, 106.6]), np.array([29.6, 29.7]))
    assert lons.shape == (2,) and lats.shape == (2,)


def test_cgcs2000_and_web_mercator_through_pyproj():
    assert crs.cgcs2000_to_wgs84(106.5, 29.6) == pytest.approx((106.5, 29.6), abs=1e-9)
    x_m, y_m = crs.wgs84_to_web_mercator(106.5, 29.6)
    assert x_m == pytest.approx(11855525.77, abs=0.01)
    assert crs.web_mercator_to_wgs84(x_m, y_m) == pytest.approx((106.5, 29.6), abs=1e-9)


def test_to_wgs84_by_declared_system_and_refuses_unknown_ones():
    gcj = crs.wgs84_to_gcj02(106.5, 29.6)
    assert crs.to_wgs84(*gcj, system="GCJ02") == pytest.approx((106.5, 29.6), abs=1e-8)
    assert crs.to_wgs84(106.5, 29.6, system="wgs84") == (106.5, 29.6)
    with pytest.raises(crs.CrsError):
        crs.to_wgs84(106.5, 29.6, system="beijing54")


def test_destination_and_distance_agree():
    lon, lat = crs.destination(106.5, 29.6, azimuth_deg=45, distance_m=200)
    assert crs.geodesic_distance_m(106.5, 29.6, lon, lat) == pytest.approx(200, abs=1e-6)
