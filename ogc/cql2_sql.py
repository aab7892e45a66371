"""Compile a CQL2 AST (:mod:`ogc.cql2`) to a SQLAlchemy Core condition on one collection.

Properties resolve only through the caller's queryables (app decides per viewer), so a filter can
neither name a column it may not read nor reach an identifier outside the registry. Every value is a
bound parameter; geometry literals are bound GeoJSON, placed in the filter CRS and transformed to
storage; S_DWITHIN measures metres on ``geography``.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, bindparam, func, literal, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from ogc.collections import Collection
from ogc.cql2 import COMPARISONS, Geometry, Literal, Predicate, Property
from ogc.crs import CRS84, Crs
from ogc.errors import Cql2Error

GEOMETRY_NAMES = ("geometry", "geom")
_SPATIAL_SQL = {"s_intersects": func.ST_Intersects, "s_equals": func.ST_Equals, "s_disjoint": func.ST_Disjoint,
                "s_touches": func.ST_Touches, "s_within": func.ST_Within, "s_overlaps": func.ST_Overlaps,
                "s_crosses": func.ST_Crosses, "s_contains": func.ST_Contains}
_NUMERIC = ("integer", "number")


def compile_filter(node: Predicate, collection: Collection, *, queryables: dict[str, str],
                   filter_crs: Crs = CRS84) -> ColumnElement:
    """The SQL condition for ``node``; Cql2Error (with the position) for what it may not name or mix."""
    return _Compiler(collection, queryables, filter_crs).predicate(node)


class _Compiler:
    def __init__(self, collection: Collection, queryables: dict[str, str], crs: Crs):
        self.collection, self.queryables, self.crs = collection, queryables, crs

    def predicate(self, node: Predicate) -> ColumnElement:
        op, args = node.op, node.args
        if op in ("and", "or"):
            return (and_ if op == "and" else or_)(*(self.predicate(a) for a in args))
        if op == "not":
            return not_(self.predicate(args[0]))
        if op == "isnull":
            return self.scalar(args[0]).is_(None)
        if op in COMPARISONS:
            left, right = self.pair(args[0], args[1])
            return left.op(op)(right) if op != "<>" else left != right
        if op == "like":
            self._require_text(args[0])
            left, right = self.pair(args[0], args[1])
            return left.like(right)
        if op == "between":
            value, low = self.pair(args[0], args[1])
            _, high = self.pair(args[0], args[2])
            return value.between(low, high)
        if op == "in":
            kind = self.kind_of(args[0])
            return self.scalar(args[0]).in_([self.value(item, kind) for item in args[1]])
        if op in _SPATIAL_SQL:
            return _SPATIAL_SQL[op](self.geometry(args[0]), self.geometry(args[1]))
        if op == "s_dwithin":
            distance_m = args[2].value
            if isinstance(distance_m, bool) or not isinstance(distance_m, (int, float)) or distance_m < 0:
                raise Cql2Error("距离应为非负米数 / distance must be metres ≥ 0", args[2].pos)
            # geography(geom) is the expression of the ix_*_geog indexes, so the planner can use them.
            return func.ST_DWithin(func.geography(self.geometry(args[0])), func.geography(self.geometry(args[1])),
                                   bindparam(None, float(distance_m)))
        raise Cql2Error(f"不支持的运算 / unsupported operator {op}", node.pos)

    # --- operands -------------------------------------------------------------------------------------

    def kind_of(self, node) -> str | None:
        if isinstance(node, Property):
            self.column(node)
            return self.queryables[node.name]
        return None

    def column(self, node: Property) -> ColumnElement:
        if node.name in GEOMETRY_NAMES or node.name == self.collection.geometry_column:
            raise Cql2Error(f"几何属性只能用于空间函数 / {node.name} is only usable in spatial functions", node.pos)
        if node.name not in self.queryables:
            allowed = ", ".join(self.queryables) or "none"
            raise Cql2Error(f"不可查询的属性 / not a queryable: {node.name} (queryables: {allowed})", node.pos)
        return self.collection.column(node.name)

    def scalar(self, node):
        if isinstance(node, Property):
            return self.column(node)
        if isinstance(node, Literal):
            return literal(node.value)
        raise Cql2Error("此处不能用几何 / a geometry is not allowed here", node.pos)

    def pair(self, left, right):
        """Both operands of a comparison, the literal typed after the property it meets."""
        kind = self.kind_of(left) or self.kind_of(right)
        return self.value(left, kind), self.value(right, kind)

    def value(self, node, kind: str | None):
        if isinstance(node, Property) or kind is None:
            return self.scalar(node)
        if not isinstance(node, Literal):
            raise Cql2Error("此处不能用几何 / a geometry is not allowed here", node.pos)
        return bindparam(None, _coerce(node, kind))

    def _require_text(self, node) -> None:
        if isinstance(node, Property) and self.kind_of(node) != "string":
            raise Cql2Error(f"LIKE 只用于文本属性 / LIKE needs a text property: {node.name}", node.pos)

    def geometry(self, node) -> ColumnElement:
        if isinstance(node, Property):
            if node.name in GEOMETRY_NAMES or node.name == self.collection.geometry_column:
                return self.collection.geometry
            raise Cql2Error(f"不是几何属性 / not a geometry property: {node.name} (use 'geometry')", node.pos)
        if isinstance(node, Geometry):
            return self.literal_geometry(node)
        raise Cql2Error("应为几何 / expected a geometry", node.pos)

    def literal_geometry(self, node: Geometry) -> ColumnElement:
        geojson = dict(node.geojson)
        if self.crs.lat_lon:
            geojson["coordinates"] = _swap_xy(geojson["coordinates"])
        parsed = func.ST_SetSRID(func.ST_GeomFromGeoJSON(bindparam(None, json.dumps(geojson))), self.crs.srid)
        return parsed if self.crs.srid == self.collection.geometry.type.srid else func.ST_Transform(
            parsed, self.collection.geometry.type.srid)


def _swap_xy(coords):
    if coords and isinstance(coords[0], (int, float)):
        return [coords[1], coords[0], *coords[2:]]
    return [_swap_xy(c) for c in coords]


def _coerce(node: Literal, kind: str):
    value = node.value
    if kind == "string" and isinstance(value, str):
        return value
    if kind in _NUMERIC and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in ("date", "date-time") and isinstance(value, (str, dt.date)):
        try:
            return _temporal(value, kind)
        except ValueError:
            pass
    raise Cql2Error(f"值的类型不符 / a {kind} property cannot be compared with {value!r}", node.pos)


def _temporal(value, kind: str):
    """A date or timestamp literal (or a quoted ISO string, as GDAL sends: '2015-01-01T') for a column
    of JSON Schema format ``kind``."""
    if isinstance(value, str):
        text = value.rstrip("Tt")
        value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(
            text.replace("Z", "+00:00").replace("z", "+00:00"))
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
