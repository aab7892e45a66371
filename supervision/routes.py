"""Inspection routes (科学制定检查路线) and the map of a draw: where each team goes, in which order.

Distances are straight-line metres (haversine on the WGS84 sphere, R = 6,371,008.8 m). The demo
road table holds one LineString per named road, not noded at crossings, and the database has no
pgRouting, so there is no network to measure road distance on; ``order_route`` takes any
distance matrix, so a road matrix can replace the straight-line one when a network exists.

Order: nearest neighbour from the westernmost entity (a deterministic start), then 2-opt on
the open path until no reversal shortens it (or ``max_passes``).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from supervision.inspections import entity_classes, get_draw, team_of

EARTH_RADIUS_M = 6_371_008.8
DISTANCE_METHOD = "straight_line"


def distance_matrix_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Haversine distances in metres between all pairs of WGS84 points."""
    lam, phi = np.radians(lon)[:, None], np.radians(lat)[:, None]
    a = (np.sin((phi - phi.T) / 2) ** 2 + np.cos(phi) * np.cos(phi.T) * np.sin((lam - lam.T) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def order_route(dist: np.ndarray, *, start: int = 0, max_passes: int = 50) -> list[int]:
    """Visiting order (indices) of an open path: nearest neighbour from ``start``, improved by 2-opt."""
    n = len(dist)
    if n <= 2:
        return [start] + [i for i in range(n) if i != start]
    path = _nearest_neighbour(dist, start)
    for _ in range(max_passes):
        if not _two_opt_pass(dist, path):
            break
    return path.tolist()


def path_length_m(dist: np.ndarray, path) -> float:
    path = np.asarray(path)
    return float(dist[path[:-1], path[1:]].sum()) if len(path) > 1 else 0.0


def _nearest_neighbour(dist: np.ndarray, start: int) -> np.ndarray:
    n = len(dist)
    visited = np.zeros(n, dtype=bool)
    path = np.empty(n, dtype=np.int64)
    path[0], visited[start] = start, True
    for k in range(1, n):
        row = np.where(visited, np.inf, dist[path[k - 1]])
        path[k] = int(np.argmin(row))
        visited[path[k]] = True
    return path


def _two_opt_pass(dist: np.ndarray, path: np.ndarray) -> bool:
    """One sweep of best-improvement 2-opt moves on an open path (the start stays first)."""
    n, improved = len(path), False
    for i in range(n - 2):
        a, b = path[i], path[i + 1]
        c = path[i + 2:]
        d = np.append(path[i + 3:], -1)
        gain = dist[a, b] - dist[a, c]
        gain = gain + np.where(d >= 0, dist[c, np.maximum(d, 0)] - dist[b, np.maximum(d, 0)], 0.0)
        j = int(np.argmax(gain))
        if gain[j] > 1e-6:
            path[i + 1:i + 3 + j] = path[i + 1:i + 3 + j][::-1].copy()
            improved = True
    return improved


# ---------------------------------------------------------------- a draw on the map


def _located(session: Session, ids: list[int]) -> dict[int, dict]:
    rows = session.execute(text(
        "SELECT id, name, uscc, grid_code, registered_address, ST_X(geom) AS lon, ST_Y(geom) AS lat "
        "FROM enterprise WHERE id = ANY(:ids)"), {"ids": ids}).mappings()
    return {r["id"]: dict(r) for r in rows}


def _outcomes(session: Session, draw_id: int) -> dict[int, str]:
    return dict(session.execute(text("SELECT enterprise_id, outcome FROM inspection_result WHERE draw_id = :d"),
                                {"d": draw_id}).all())


def team_routes(session: Session, draw_id: int, *, team: int | None = None) -> list[dict]:
    """Per team: entity ids in visiting order, coordinates, length in metres, unlocated entities."""
    result = get_draw(session, draw_id).result
    teams = [t for t in result["teams"] if team is None or t["no"] == team]
    places = _located(session, [e for t in teams for e in t["entities"]])
    return [_team_route(t, places) for t in teams]


def _team_route(team: dict, places: dict[int, dict]) -> dict:
    located = [e for e in team["entities"] if places.get(e, {}).get("lon") is not None]
    unlocated = [e for e in team["entities"] if e not in set(located)]
    if not located:
        return {"no": team["no"], "order": [], "coordinates": [], "length_m": 0.0, "unlocated": unlocated,
                "names": []}
    lon = np.array([places[e]["lon"] for e in located])
    lat = np.array([places[e]["lat"] for e in located])
    dist = distance_matrix_m(lon, lat)
    path = order_route(dist, start=int(np.lexsort((np.array(located), lon))[0]))
    return {"no": team["no"], "order": [located[i] for i in path],
            "coordinates": [[round(float(lon[i]), 6), round(float(lat[i]), 6)] for i in path],
            "length_m": round(path_length_m(dist, path), 1), "unlocated": unlocated,
            "names": [places[located[i]]["name"] for i in path]}


def routes_geojson(routes: list[dict]) -> dict:
    features = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": r["coordinates"]},
                 "properties": {"team": r["no"], "stops": len(r["order"]), "length_m": r["length_m"],
                                "order": r["order"], "distance_method": DISTANCE_METHOD}}
                for r in routes if len(r["coordinates"]) >= 2]
    return {"type": "FeatureCollection", "features": features}


def draw_features(session: Session, draw_id: int) -> dict:
    """GeoJSON points of the drawn entities: class at draw time, team, visit position, outcome."""
    result = get_draw(session, draw_id).result
    classes, teams = entity_classes(result), team_of(result)
    places, outcomes = _located(session, list(classes)), _outcomes(session, draw_id)
    features = []
    for eid, cls in classes.items():
        p = places.get(eid)
        if p is None or p["lon"] is None:
            continue
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                         "properties": {"id": eid, "name": p["name"], "uscc": p["uscc"], "risk_class": cls,
                                        "grid_code": p["grid_code"], "team": teams.get(eid),
                                        "outcome": outcomes.get(eid)}})
    return {"type": "FeatureCollection", "features": features}


def draw_summary(session: Session, draw_id: int) -> dict:
    """Counts per class, teams with their inspectors and progress (results recorded / entities)."""
    row = get_draw(session, draw_id)
    result, outcomes = row.result, _outcomes(session, draw_id)
    staff_ids = [i for t in result["teams"] for i in t["inspectors"]]
    staff = {r.id: {"id": r.id, "name": r.name, "department": r.department} for r in session.execute(
        text("SELECT id, name, department FROM staff WHERE id = ANY(:ids)"), {"ids": staff_ids})}
    teams = [{"no": t["no"], "inspectors": [staff.get(i, {"id": i}) for i in t["inspectors"]],
              "entities": len(t["entities"]), "done": sum(1 for e in t["entities"] if e in outcomes)}
             for t in result["teams"]]
    return {"id": row.id, "plan_id": row.plan_id, "algorithm_version": row.algorithm_version,
            "seed_hex": row.seed_hex, "snapshot_sha256": row.snapshot_sha256, "result_sha256": row.result_sha256,
            "supersedes_id": row.supersedes_id, "redraw_reason": row.redraw_reason, "created_at": row.created_at,
            "created_by": row.created_by, "population": result["population"], "drawn": result["drawn"],
            "ratios_bp": result["ratios_bp"], "unassigned": result["unassigned"], "teams": teams,
            "progress": {"done": len(outcomes), "total": sum(result["drawn"].values())}}
