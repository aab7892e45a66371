"""The registrar's address check (地址比对) against the library in PostGIS.

``check_address`` matches one submitted address, then looks up what is registered there, whether
the point is inside the free-trade zone, and what deserves a warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.locate import zones_at
from spatial.registration import registration_check

from .db import cached_library
from .library import AddressLibrary, Candidate
from .parse import parse

CLUSTER_WARNING_AT = 5  # entities registered at one address before we flag a possible cluster (集中登记)
MATCHED_MIN_SCORE = 0.75
ENTITY_LIST_LIMIT = 50


@dataclass
class AddressCheck:
    """The answer to one address check (verdict: matched / doubtful / not_found)."""

    address: str
    verdict: str
    confidence: float
    components: list[dict]
    standard_address: str | None = None
    address_id: int | None = None
    match_level: str | None = None
    lon: float | None = None
    lat: float | None = None
    building: dict | None = None
    entities_registered_here: dict = field(default_factory=lambda: {"count": 0, "entities": []})
    in_free_trade_zone: bool | None = None
    warnings: list[dict] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def verdict_for(candidate: Candidate | None) -> str:
    """matched only for an exact match with a confident score; doubtful for anything partial."""
    if candidate is None or candidate.level == "none":
        return "not_found"
    if candidate.level == "exact" and candidate.score >= MATCHED_MIN_SCORE:
        return "matched"
    return "doubtful"


def check_address(session: Session, address: str, *, industry: str | None = None,
                  library: AddressLibrary | None = None, with_components: bool = True) -> AddressCheck:
    """Match ``address`` and describe the place; with ``industry``, also the registration rules
    (restricted trades near schools). ``with_components=False`` skips parsing (a few ms) for callers
    that do not show the components. Raises AddressError for empty or over-long text."""
    library = library or cached_library(session)
    candidates = library.match(address, k=3)
    best = candidates[0] if candidates else None
    components = [c._asdict() for c in parse(address)] if with_components else []
    result = AddressCheck(address=address, verdict=verdict_for(best), confidence=best.score if best else 0.0,
                          components=components)
    if best is None or result.verdict == "not_found":
        return result
    entry = library.get(best.address_id)
    result.address_id, result.match_level = int(best.address_id), best.level
    result.standard_address, result.lon, result.lat = entry.text, entry.lon, entry.lat
    result.alternatives = [{"address_id": int(c.address_id), "standard_address": library.get(c.address_id).text,
                            "level": c.level, "score": c.score} for c in candidates[1:]]
    _describe_place(session, result, industry)
    return result


def _describe_place(session: Session, result: AddressCheck, industry: str | None) -> None:
    result.building = _building(session, result.address_id)
    result.entities_registered_here = _entities_at(session, result.address_id)
    zones = zones_at(session, lon=result.lon, lat=result.lat)
    result.in_free_trade_zone = any(z["kind"] == "free_trade_zone" for z in zones)
    if industry:
        _registration_warnings(session, result, industry)
    count = result.entities_registered_here["count"]
    if count >= CLUSTER_WARNING_AT:
        result.warnings.append({"code": "cluster_registration",
                                "message": f"该地址已登记 {count} 户市场主体，可能存在集中登记，请核实"})
    if result.verdict == "doubtful":
        result.warnings.append({"code": "verify_on_site", "message": "地址比对存疑，请实地核查"})


def _building(session: Session, address_id: int) -> dict | None:
    row = session.execute(text("""
        SELECT b.id, b.name, b.address_text, b.floors, b.use, ST_AsGeoJSON(b.footprint, 7)::json AS footprint
        FROM address_entry a JOIN building b ON b.id = a.building_id WHERE a.id = :id
    """), {"id": address_id}).mappings().first()
    return dict(row) if row else None


def _entities_at(session: Session, address_id: int) -> dict:
    rows = session.execute(text("""
        SELECT uscc, name, status, risk_class, count(*) OVER () AS total
        FROM enterprise WHERE address_id = :id ORDER BY name LIMIT :limit
    """), {"id": address_id, "limit": ENTITY_LIST_LIMIT}).mappings().all()
    total = rows[0]["total"] if rows else 0
    return {"count": total, "entities": [{k: r[k] for k in ("uscc", "name", "status", "risk_class")} for r in rows]}


def _registration_warnings(session: Session, result: AddressCheck, industry: str) -> None:
    check = registration_check(session, lon=result.lon, lat=result.lat, industry=industry)
    for rule in check["rules"]:
        if rule["decision"] == "allow":
            continue
        nearest = rule["places"][0]
        result.warnings.append({
            "code": "restricted_trade_nearby", "decision": rule["decision"], "rule": rule["id"],
            "message": f"{rule['title']}：距{nearest['name']} {nearest['distance_m']:.0f} 米（限 {rule['radius_m']:.0f} 米）",
            "places": rule["places"]})
