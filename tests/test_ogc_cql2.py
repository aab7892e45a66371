"""CQL2 text and JSON parsing (pure, no database): the AST, and errors that say where."""

from __future__ import annotations

import datetime as dt

import pytest

from ogc.cql2 import Geometry, Literal, Predicate, Property, parse_text
from ogc.cql2_json import parse_json
from ogc.crs import CRS84, bbox_lon_lat_order, parse_crs
from ogc.errors import Cql2Error, OgcError


@pytest.mark.parametrize("text, op", [
    ("status = '存续'", "="),
    ('"status" <> \'注销\'', "<>"),
    ("floors >= 10 AND floors < 20", "and"),
    ("name LIKE '%咖啡%' OR status = '存续'", "or"),
    ("NOT (floors BETWEEN 3 AND 5)", "not"),
    ("kind IN ('school', 'kindergarten')", "in"),
    ("short_name IS NOT NULL", "not"),
    ("established_on > DATE('2015-01-01')", ">"),
    ("S_INTERSECTS(geometry, BBOX(106.5, 29.5, 106.6, 29.6))", "s_intersects"),
    ("s_within(geometry, POLYGON((106 29, 107 29, 107 30, 106 30, 106 29)))", "s_within"),
    ("S_DWITHIN(geometry, POINT(106.55 29.6), 1.5, kilometers)", "s_dwithin"),
    ("(status = 'a') AND (established_on > '2015-01-01T')", "and"),  # what GDAL's OAPIF driver sends
])
def test_parses(text, op):
    assert parse_text(text).op == op


def test_ast_values_and_units():
    node = parse_text("S_DWITHIN(geometry, POINT(106.55 29.6), 1.5, kilometers)")
    assert node.args[0] == Property("geometry", 10)
    assert node.args[1].geojson == {"type": "Point", "coordinates": [106.55, 29.6]}
    assert node.args[2].value == 1500.0
    date = parse_text("established_on > DATE('2015-01-01')").args[1]
    assert date.value == dt.date(2015, 1, 1)
    negative = parse_text("x = -2.5").args[1]
    assert negative == Literal(-2.5, 4)
    quoted = parse_text("name = 'O''Brien'").args[1]
    assert quoted.value == "O'Brien"


@pytest.mark.parametrize("text, position", [
    ("status = ", 9),
    ("status == '存续'", 8),
    ("name = 'abc", 7),
    ("status = '存续' extra", 14),
    ("floors ~ 3", 7),
    ("S_INTERSECTS(geometry, BBOX(1, 2, 3))", 23),
    ("established_on > DATE('2015-13-45')", 22),
    ("floors BETWEEN 3 5", 17),
    ("", 0),
])
def test_errors_carry_the_position(text, position):
    with pytest.raises(Cql2Error) as caught:
        parse_text(text)
    assert caught.value.position == position
    assert f"at character {position}" in str(caught.value)


def test_json_reads_the_same_ast_as_text():
    text = parse_text("status = '存续' AND S_INTERSECTS(geometry, BBOX(106.5, 29.5, 106.6, 29.6))")
    doc = parse_json('{"op": "and", "args": [{"op": "=", "args": [{"property": "status"}, "存续"]},'
                     '{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [106.5, 29.5, 106.6, 29.6]}]}]}')
    assert isinstance(doc, Predicate) and doc.op == text.op == "and"
    assert [a.op for a in doc.args] == [a.op for a in text.args]
    assert doc.args[0].args[1].value == "存续"
    assert isinstance(doc.args[1].args[1], Geometry)
    assert doc.args[1].args[1].geojson == text.args[1].args[1].geojson


@pytest.mark.parametrize("text, position", [
    ('{"op": "=", "args": [{"property": "status"}]', 44),  # unterminated JSON: where the parser stopped
    ('{"op": "≈", "args": [1, 2]}', 7),  # the op's string
    ('{"op": "=", "args": [{"property": "status"}]}', 7),  # one arg short
])
def test_json_errors_carry_a_position(text, position):
    with pytest.raises(Cql2Error) as caught:
        parse_json(text)
    assert caught.value.position == position


def test_crs_uris_and_axis_order():
    assert parse_crs(None) is CRS84 and not CRS84.lat_lon
    epsg4326 = parse_crs("http://www.opengis.net/def/crs/EPSG/0/4326")
    cgcs2000 = parse_crs("[EPSG:4490]")
    mercator = parse_crs("http://www.opengis.net/def/crs/EPSG/0/3857")
    assert (epsg4326.srid, epsg4326.lat_lon) == (4326, True)
    assert (cgcs2000.srid, cgcs2000.lat_lon) == (4490, True)
    assert (mercator.srid, mercator.lat_lon) == (3857, False)
    assert bbox_lon_lat_order((29.5, 106.5, 29.6, 106.6), epsg4326) == (106.5, 29.5, 106.6, 29.6)
    with pytest.raises(OgcError):
        parse_crs("http://www.opengis.net/def/crs/EPSG/0/4214")
