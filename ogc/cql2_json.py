"""CQL2-JSON (OGC 21-065 §8) → the AST of :mod:`ogc.cql2`. JSON keeps no positions, so an error points
at the first place in the raw text where the offending fragment appears (0 if it cannot be found)."""

from __future__ import annotations

import json

from ogc.cql2 import COMPARISONS, SPATIAL_OPS, Geometry, Literal, Predicate, Property, bbox_polygon, temporal_value
from ogc.errors import Cql2Error


def parse_json(text: str) -> Predicate:
    """Read a CQL2-JSON document; positions point at the offending part of ``text``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Cql2Error(f"JSON 语法错误 / invalid JSON: {exc.msg}", exc.pos) from None
    return _JsonReader(text).predicate(document)


class _JsonReader:
    def __init__(self, text: str):
        self.text = text

    def where(self, fragment) -> int:
        """Best-effort position of a fragment in the raw text (JSON keeps no positions)."""
        needle = fragment if isinstance(fragment, str) else json.dumps(fragment, ensure_ascii=False)
        found = self.text.find(needle)
        return max(found, 0)

    def predicate(self, node) -> Predicate:
        if isinstance(node, bool):
            return Predicate("=", (Literal(True, 0), Literal(node, 0)), 0)
        if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("args"), list):
            raise Cql2Error("应为 {\"op\": …, \"args\": […]} / expected an {op, args} object", self.where(node))
        op, args = node["op"].lower(), node["args"]
        pos = self.where(f'"{node["op"]}"')
        if op in ("and", "or"):
            if len(args) < 2:
                raise Cql2Error(f"{op} 至少需要两个参数 / needs two or more args", pos)
            return Predicate(op, tuple(self.predicate(a) for a in args), pos)
        if op == "not":
            return Predicate("not", (self.predicate(self._one(args, 1, pos)[0]),), pos)
        if op in ("isnull",):
            return Predicate("isnull", (self.scalar(self._one(args, 1, pos)[0]),), pos)
        if op in COMPARISONS or op == "like":
            return Predicate(op, tuple(self.scalar(a) for a in self._one(args, 2, pos)), pos)
        if op == "between":
            return Predicate(op, tuple(self.scalar(a) for a in self._one(args, 3, pos)), pos)
        if op == "in":
            arg, items = self._one(args, 2, pos)
            if not isinstance(items, list):
                raise Cql2Error("in 的第二个参数应为数组 / second arg of in must be an array", pos)
            return Predicate(op, (self.scalar(arg), tuple(self.scalar(i) for i in items)), pos)
        if op in SPATIAL_OPS:
            return Predicate(op, tuple(self.spatial(a) for a in self._one(args, 2, pos)), pos)
        if op == "s_dwithin":
            left, right, distance = self._one(args, 3, pos)[:3]
            if isinstance(distance, bool) or not isinstance(distance, (int, float)):
                raise Cql2Error("距离应为米数 / distance must be a number of metres", pos)
            return Predicate(op, (self.spatial(left), self.spatial(right), Literal(float(distance), pos)), pos)
        raise Cql2Error(f"不支持的运算 / unsupported op {node['op']!r}", pos)

    def _one(self, args: list, count: int, pos: int) -> list:
        if len(args) != count:
            raise Cql2Error(f"应有 {count} 个参数 / expected {count} args, got {len(args)}", pos)
        return args

    def scalar(self, value):
        if isinstance(value, dict) and set(value) == {"property"}:
            return Property(str(value["property"]), self.where(f'"{value["property"]}"'))
        if isinstance(value, dict) and set(value) & {"date", "timestamp"}:
            kind = "DATE" if "date" in value else "TIMESTAMP"
            raw = value[kind.lower()]
            return Literal(temporal_value(kind, str(raw), self.where(str(raw))), self.where(str(raw)))
        if isinstance(value, (str, int, float, bool)):
            return Literal(value, self.where(value if isinstance(value, str) else json.dumps(value)))
        raise Cql2Error(f"不支持的值 / unsupported value {json.dumps(value, ensure_ascii=False)[:60]}",
                        self.where(value))

    def spatial(self, value):
        if isinstance(value, dict) and "bbox" in value and isinstance(value["bbox"], list) \
                and len(value["bbox"]) in (4, 6):
            return Geometry(bbox_polygon([float(v) for v in value["bbox"]]), self.where("bbox"))
        if isinstance(value, dict) and value.get("type") in ("Point", "LineString", "Polygon", "MultiPoint",
                                                             "MultiLineString", "MultiPolygon"):
            return Geometry(value, self.where(value["type"]))
        if isinstance(value, dict) and set(value) == {"property"}:
            return self.scalar(value)
        raise Cql2Error("应为几何属性或 GeoJSON 几何 / expected a geometry property or GeoJSON geometry",
                        self.where(value))
