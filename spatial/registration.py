"""Registration checks (登记前置核查): may a new entity of this industry be registered here?

Reads the rules of ``sensitive_places.toml``: a trade named by a rule is refused (or warned)
within the rule's radius of the named kinds of place; other trades are allowed. The answer also
lists the nearest sensitive places and says whether the point lies in the free-trade zone.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import SpatialError
from spatial.locate import zones_at
from spatial.rules import Rule, load_rules
from spatial.search import BOUNDARY_TOLERANCE_M, check_point

NEAREST_PER_KIND = 3
NEAREST_REACH_M = 2000.0

_NEAREST_SQL = """
SELECT p.id, p.kind, p.name, p.address_text, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       ST_Distance(p.geom::geography, c.g) AS distance_m
FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS g) c
CROSS JOIN LATERAL (
    SELECT * FROM poi p WHERE p.kind = :kind AND ST_DWithin(p.geom::geography, c.g, :reach_m)
    ORDER BY p.geom::geography <-> c.g LIMIT :k
) p
ORDER BY distance_m, p.id
"""


def registration_check(session: Session, *, lon: float, lat: float, industry: str) -> dict:
    """The verdict for registering an entity of ``industry`` (category name or GB/T 4754 code) at
    WGS84 (lon, lat): ``decision`` ("refuse" | "warn" | "allow"), the rules that apply with the places
    that break them, the nearest sensitive places of each kind (metres) and the zones at the point.
    """
    lon, lat = check_point(lon, lat)
    if not industry or not industry.strip():
        raise SpatialError("请给出行业 / industry is required (a category such as 网吧 or a GB/T 4754 code)")
    rules = load_rules()
    category = rules.category_of(industry)
    nearest = {kind: _nearest(session, lon=lon, lat=lat, kind=kind) for kind in rules.place_kinds}
    verdicts = [_verdict(rule, nearest, session, lon=lon, lat=lat) for rule in rules.rules_for(category)]
    zones = zones_at(session, lon=lon, lat=lat)
    return {"lon": lon, "lat": lat, "industry": industry.strip(), "category": category,
            "decision": _decision(verdicts), "rules": verdicts, "rules_version": rules.version,
            "nearest": nearest, "zones": zones,
            "in_free_trade_zone": any(z["kind"] == "free_trade_zone" for z in zones)}


def _nearest(session: Session, *, lon: float, lat: float, kind: str,
             reach_m: float = NEAREST_REACH_M, k: int = NEAREST_PER_KIND) -> list[dict]:
    params = {"lon": lon, "lat": lat, "kind": kind, "reach_m": reach_m, "k": k}
    return [dict(r) for r in session.execute(text(_NEAREST_SQL), params).mappings()]


def _verdict(rule: Rule, nearest: dict, session: Session, *, lon: float, lat: float) -> dict:
    breaking, reach_m = [], rule.radius_m + BOUNDARY_TOLERANCE_M
    for kind in rule.near_kinds:
        places = nearest[kind]
        if places and places[-1]["distance_m"] <= reach_m:  # more may hide past the first k
            places = _nearest(session, lon=lon, lat=lat, kind=kind, reach_m=reach_m, k=1000)
        breaking += [p for p in places if p["distance_m"] <= reach_m]
    breaking.sort(key=lambda p: (p["distance_m"], p["id"]))
    return {"id": rule.id, "title": rule.title, "radius_m": rule.radius_m, "basis": rule.basis,
            "decision": rule.decision if breaking else "allow", "places": breaking}


def _decision(verdicts: list[dict]) -> str:
    decisions = {v["decision"] for v in verdicts}
    return "refuse" if "refuse" in decisions else ("warn" if "warn" in decisions else "allow")
