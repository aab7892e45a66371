"""CQL2 (OGC 21-065) text and JSON → one small AST; :mod:`ogc.cql2_sql` compiles it to SQL.

Covered: basic CQL2 (comparisons, AND/OR/NOT, IS [NOT] NULL, booleans, DATE/TIMESTAMP literals),
LIKE, BETWEEN and IN (advanced comparison), the spatial functions S_INTERSECTS, S_EQUALS,
S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS with WKT or BBOX(...) literals,
and S_DWITHIN(a, b, distance[, units]) in metres. Every error is a :class:`Cql2Error` carrying the
0-based character position in the filter text.

>>> parse_text("status = '存续' AND S_INTERSECTS(geometry, BBOX(106.5, 29.5, 106.6, 29.6))").op
'and'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ogc.errors import Cql2Error

SPATIAL_OPS = ("s_intersects", "s_equals", "s_disjoint", "s_touches", "s_within", "s_overlaps", "s_crosses",
               "s_contains")
COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")
DISTANCE_UNITS_M = {"meters": 1.0, "metres": 1.0, "m": 1.0, "kilometers": 1000.0, "km": 1000.0}
_GEOMETRIES = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")


# --- the AST -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Property:
    name: str
    pos: int


@dataclass(frozen=True)
class Literal:
    value: object  # str, int, float, bool, datetime.date, datetime.datetime
    pos: int


@dataclass(frozen=True)
class Geometry:
    geojson: dict  # coordinates in the filter CRS, x/y order as written
    pos: int


@dataclass(frozen=True)
class Predicate:
    """``op`` is a comparison (=, <>, <, >, <=, >=), like, between, in, isnull, not, and, or, a spatial
    function (s_intersects…) or s_dwithin; ``args`` are AST nodes (``in``: the value then a tuple)."""

    op: str
    args: tuple
    pos: int


# --- CQL2 text: tokens ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str  # ident, qident, string, number, op, punct, end
    text: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<qident>"(?:[^"]|"")+")
  | (?P<ident>[^\W\d][\w.:]*)
  | (?P<op><>|<=|>=|!=|[=<>+\-])
  | (?P<punct>[(),\[\]])
""", re.X | re.U)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None and text[pos] == "'":
            raise Cql2Error("字符串未结束 / unterminated string", pos)
        if match is None:
            raise Cql2Error(f"无法识别的字符 / unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# --- CQL2 text: recursive descent -----------------------------------------------------------------------

def parse_text(text: str) -> Predicate:
    """Parse a CQL2-text boolean expression."""
    if not text or not text.strip():
        raise Cql2Error("过滤条件为空 / empty filter", 0)
    parser = _Parser(tokenize(text))
    node = parser.boolean()
    if parser.peek().kind != "end":
        parser.fail("多余的内容 / unexpected text after the expression")
    return node


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.i = tokens, 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def fail(self, message: str, token: Token | None = None):
        token = token or self.peek()
        found = token.text or "end of filter"
        raise Cql2Error(f"{message}; found {found!r}", token.pos)

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "ident" and token.text.upper() in words

    def expect(self, text: str) -> Token:
        token = self.peek()
        if token.text.upper() != text:
            self.fail(f"应为 / expected {text!r}")
        return self.next()

    def boolean(self) -> Predicate:
        return self._chain("OR", self._and)

    def _and(self) -> Predicate:
        return self._chain("AND", self._not)

    def _chain(self, word: str, operand) -> Predicate:
        first = operand()
        args = [first]
        while self.keyword(word):
            self.next()
            args.append(operand())
        return first if len(args) == 1 else Predicate(word.lower(), tuple(args), first.pos)

    def _not(self) -> Predicate:
        if self.keyword("NOT"):
            token = self.next()
            return Predicate("not", (self._not(),), token.pos)
        return self._primary()

    def _primary(self) -> Predicate:
        token = self.peek()
        if token.text == "(":
            self.next()
            node = self.boolean()
            self.expect(")")
            return node
        if token.kind == "ident" and token.text.lower() in (*SPATIAL_OPS, "s_dwithin") \
                and self.peek(1).text == "(":
            return self._spatial()
        if token.kind == "ident" and token.text.upper() in ("TRUE", "FALSE") and self.peek(1).kind == "end":
            return Predicate("=", (Literal(True, token.pos), Literal(token.text.upper() == "TRUE", token.pos)),
                             token.pos)
        return self._comparison()

    def _spatial(self) -> Predicate:
        name = self.next()
        self.expect("(")
        left = self._spatial_arg()
        self.expect(",")
        right = self._spatial_arg()
        op = name.text.lower()
        args = (left, right)
        if op == "s_dwithin":
            self.expect(",")
            distance = self._number()
            factor = 1.0
            if self.peek().text == ",":
                self.next()
                unit = self.next()
                factor = DISTANCE_UNITS_M.get(unit.text.strip("'\"").lower())
                if factor is None:
                    self.fail("距离单位应为 meters 或 kilometers / distance units: meters or kilometers", unit)
            args = (left, right, Literal(distance.value * factor, distance.pos))
        self.expect(")")
        return Predicate(op, args, name.pos)

    def _spatial_arg(self):
        token = self.peek()
        if token.kind == "ident" and token.text.upper() in (*_GEOMETRIES, "BBOX") and self.peek(1).text == "(":
            return self._geometry()
        if token.kind in ("ident", "qident"):
            return self._property()
        self.fail("应为几何属性或几何字面量 / expected a geometry property or literal")

    def _comparison(self) -> Predicate:
        left = self._scalar()
        token = self.peek()
        negated = False
        if self.keyword("NOT") and self.peek(1).text.upper() in ("LIKE", "BETWEEN", "IN"):
            self.next()
            negated = True
            token = self.peek()
        word = token.text.upper()
        if token.kind == "op" and token.text in (*COMPARISONS, "!="):
            self.next()
            op = "<>" if token.text == "!=" else token.text
            return Predicate(op, (left, self._scalar()), left.pos)
        if word == "LIKE":
            self.next()
            node = Predicate("like", (left, self._scalar()), left.pos)
        elif word == "BETWEEN":
            self.next()
            low = self._scalar()
            self.expect("AND")
            node = Predicate("between", (left, low, self._scalar()), left.pos)
        elif word == "IN":
            self.next()
            self.expect("(")
            items = [self._scalar()]
            while self.peek().text == ",":
                self.next()
                items.append(self._scalar())
            self.expect(")")
            node = Predicate("in", (left, tuple(items)), left.pos)
        elif word == "IS":
            self.next()
            negated = self.keyword("NOT") and bool(self.next())
            self.expect("NULL")
            node = Predicate("isnull", (left,), left.pos)
        else:
            self.fail("应为比较运算符 / expected a comparison (=, <>, <, >, <=, >=, LIKE, BETWEEN, IN, IS NULL)")
        return Predicate("not", (node,), node.pos) if negated else node

    def _scalar(self):
        token = self.peek()
        if token.kind == "string":
            self.next()
            return Literal(token.text[1:-1].replace("''", "'"), token.pos)
        if token.kind == "number" or (token.kind == "op" and token.text in "+-" and self.peek(1).kind == "number"):
            return self._number()
        if token.kind == "ident" and token.text.upper() in ("TRUE", "FALSE"):
            self.next()
            return Literal(token.text.upper() == "TRUE", token.pos)
        if token.kind == "ident" and token.text.upper() in ("DATE", "TIMESTAMP") and self.peek(1).text == "(":
            return self._temporal()
        if token.kind in ("ident", "qident"):
            return self._property()
        self.fail("应为属性名或值 / expected a property name or a value")

    def _property(self) -> Property:
        token = self.next()
        name = token.text[1:-1].replace('""', '"') if token.kind == "qident" else token.text
        return Property(name, token.pos)

    def _number(self) -> Literal:
        sign = 1
        start = self.peek()
        if start.kind == "op" and start.text in "+-":
            sign = -1 if self.next().text == "-" else 1
        token = self.next()
        if token.kind != "number":
            self.fail("应为数字 / expected a number", token)
        value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        return Literal(sign * value, start.pos)

    def _temporal(self) -> Literal:
        word = self.next()
        self.expect("(")
        token = self.next()
        if token.kind != "string":
            self.fail("应为带引号的日期 / expected a quoted date or timestamp", token)
        self.expect(")")
        return Literal(temporal_value(word.text.upper(), token.text[1:-1], token.pos), word.pos)

    def _geometry(self) -> Geometry:
        word = self.next()
        kind = word.text.upper()
        if kind == "BBOX":
            self.expect("(")
            numbers = [self._number().value]
            while self.peek().text == ",":
                self.next()
                numbers.append(self._number().value)
            self.expect(")")
            if len(numbers) not in (4, 6):
                self.fail("BBOX 需要 4 或 6 个数 / BBOX takes 4 or 6 numbers", word)
            return Geometry(bbox_polygon(numbers), word.pos)
        depth = {"POINT": 0, "LINESTRING": 1, "MULTIPOINT": 1, "POLYGON": 2, "MULTILINESTRING": 2,
                 "MULTIPOLYGON": 3}[kind]
        coords = self._coords(depth)
        name = {"LINESTRING": "LineString", "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
                "MULTIPOLYGON": "MultiPolygon"}.get(kind, kind.title())
        return Geometry({"type": name, "coordinates": coords}, word.pos)

    def _coords(self, depth: int):
        """``depth`` 0: ( x y ); 1: ( x y, x y ); deeper: parenthesised lists of the level below."""
        self.expect("(")
        if depth == 0:
            out = self._position()
        else:
            item = self._position if depth == 1 and self.peek().text != "(" else (
                lambda: self._coords(depth - 1) if depth > 1 else self._coords(0))
            out = [item()]
            while self.peek().text == ",":
                self.next()
                out.append(item())
        self.expect(")")
        return out

    def _position(self) -> list[float]:
        values = [self._number().value, self._number().value]
        if self.peek().kind == "number" or self.peek().text in "+-" and self.peek().kind == "op":
            values.append(self._number().value)
        return values


def temporal_value(kind: str, text: str, pos: int):
    try:
        if kind == "DATE":
            return dt.date.fromisoformat(text)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except ValueError:
        raise Cql2Error(f"不是有效的 {kind} / not a valid {kind}: {text!r}", pos) from None


def bbox_polygon(numbers: list[float]) -> dict:
    x1, y1, x2, y2 = (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 else numbers
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
