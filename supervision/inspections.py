"""Double-random inspections on the database: plans, draws (snapshot → ``draws.draw`` → stored), results.

A draw reads the entities in the plan's scope, the inspectors of its departments and the last
year's visits into a ``draws.Snapshot``, runs the pure draw with a fresh 32-byte seed from
``secrets`` and stores seed, algorithm version, the compact snapshot and both SHA-256 hashes. A
draw is final: drawing again needs a reason and supersedes the earlier draw (kept, never edited);
once results are recorded against a draw it cannot be superseded (results: ``inspection_results``).
The caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import InspectionDraw, InspectionPlan, InspectionResult
from supervision import draws

ITEMS_PATH = Path(__file__).resolve().parent / "inspection_items.toml"
DRAWABLE_ROLES = ("inspector", "supervisor")
GONE_STATUSES = ("注销", "迁出")  # deregistered or moved away: no longer supervised here
VISIT_WINDOW_DAYS = 365
SCOPE_KEYS = ("district", "streets", "grids", "industries", "enterprise_ids")
_CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")
_INDUSTRY_RE = re.compile(r"^[A-Z0-9]{1,8}$")
# outcome → Chinese label shown on the disclosure page


class InspectionError(ValueError):
    """The caller's request cannot be honoured (400)."""


class InspectionConflict(InspectionError):
    """The request contradicts what is already recorded (409): a final draw, a duplicate result."""


class InspectionNotFound(InspectionError):
    """No such plan or draw (404)."""


# ---------------------------------------------------------------- items catalogue


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    basis: str
    department: str
    public: bool = True


@lru_cache(maxsize=4)
def load_items(path: str | None = None) -> dict[str, Item]:
    """The item catalogue (事项清单) by id, from ``inspection_items.toml`` unless ``path`` is given."""
    data = tomllib.loads(Path(path or ITEMS_PATH).read_text(encoding="utf-8"))
    items = {}
    for dept in data["department"]:
        for raw in dept["items"]:
            items[raw["id"]] = Item(raw["id"], raw["name"], raw["basis"], dept["name"], raw.get("public", True))
    return items


def departments() -> list[str]:
    return list(dict.fromkeys(item.department for item in load_items().values()))


def catalogue() -> list[dict]:
    """Departments (staff-directory name, short label) with their items, for pages and the API."""
    data = tomllib.loads(ITEMS_PATH.read_text(encoding="utf-8"))
    items = load_items()
    return [{"name": d["name"], "short": d.get("short", d["name"]),
             "items": [vars(items[i["id"]]) for i in d["items"]]} for d in data["department"]]


# ---------------------------------------------------------------- plans


def create_plan(session: Session, *, name: str, scope: dict, items: list[str], departments: list[str],
                ratios: dict | None = None, team_size: int = draws.MIN_TEAM_SIZE,
                period_start: dt.date | None = None, period_end: dt.date | None = None,
                created_by: str | None = None) -> InspectionPlan:
    """Validate and store a plan; ratios are percent per class (defaults 2/5/20/100)."""
    depts = _check_departments(departments)
    _check_items(items, depts)
    ratios_bp = _check_ratios(ratios)
    _check_team(session, depts, team_size)
    if period_start and period_end and period_end < period_start:
        raise InspectionError("检查期限结束日期早于开始日期 / the period ends before it starts")
    plan = InspectionPlan(name=_check_name(name), scope=normalise_scope(scope), items=list(dict.fromkeys(items)),
                          departments=depts, ratios={c: bp / 100 for c, bp in zip(draws.CLASSES, ratios_bp, strict=True)},
                          team_size=team_size, period_start=period_start, period_end=period_end, created_by=created_by)
    session.add(plan)
    session.flush()
    return plan


def get_plan(session: Session, plan_id: int) -> InspectionPlan:
    plan = session.get(InspectionPlan, plan_id)
    if plan is None:
        raise InspectionNotFound(f"没有编号为 {plan_id} 的抽查计划 / no inspection plan {plan_id}")
    return plan


def list_plans(session: Session, *, limit: int = 100) -> list[InspectionPlan]:
    return list(session.scalars(select(InspectionPlan).order_by(InspectionPlan.id.desc()).limit(limit)))


def scope_options(session: Session) -> list[dict]:
    """Streets and communities of the active grid version (code, name, level, parent)."""
    rows = session.execute(text(
        "SELECT g.code, g.name, g.level, g.parent_code FROM grid g JOIN grid_version v ON v.id = g.version_id "
        "WHERE v.status = 'active' AND g.level IN ('street', 'community') ORDER BY g.code")).mappings()
    return [dict(r) for r in rows]


def _check_name(name: str) -> str:
    if not name or not name.strip():
        raise InspectionError("计划名称不能为空 / the plan needs a name")
    return name.strip()


def _check_departments(names: list[str]) -> list[str]:
    known = set(departments())
    chosen = list(dict.fromkeys(names or []))
    if not chosen:
        raise InspectionError("至少选择一个参与部门 / choose at least one department")
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise InspectionError(f"未知部门 {unknown} / unknown departments (see inspection_items.toml)")
    return chosen


def _check_items(item_ids: list[str], depts: list[str]) -> None:
    catalogue = load_items()
    if not item_ids:
        raise InspectionError("至少选择一个检查事项 / choose at least one inspection item")
    bad = [i for i in item_ids if i not in catalogue or catalogue[i].department not in depts]
    if bad:
        raise InspectionError(f"检查事项 {bad} 不存在或不属于参与部门 / unknown items or items of other departments")


def _check_ratios(ratios: dict | None) -> tuple[int, ...]:
    try:
        return draws.ratios_to_bp(ratios)
    except draws.DrawError as exc:
        raise InspectionError(str(exc)) from exc


def _check_team(session: Session, depts: list[str], team_size: int) -> None:
    if team_size < max(draws.MIN_TEAM_SIZE, len(depts)):
        raise InspectionError(f"检查组至少 {max(draws.MIN_TEAM_SIZE, len(depts))} 人，且每个参与部门至少一人 / "
                              "a team needs at least two inspectors and one per department")
    counts = dict(session.execute(text(
        "SELECT department, count(*) FROM staff WHERE active AND role = ANY(:roles) AND department = ANY(:depts) "
        "GROUP BY department"), {"roles": list(DRAWABLE_ROLES), "depts": depts}).all())
    missing = [d for d in depts if not counts.get(d)]
    if missing:
        raise InspectionError(f"部门 {missing} 没有在册执法人员 / no inspectors in the staff directory for {missing}")
    if sum(counts.values()) < team_size:
        raise InspectionError(f"执法人员共 {sum(counts.values())} 人，不足一个 {team_size} 人检查组 / "
                              "not enough inspectors for one team")


def normalise_scope(scope: dict | None) -> dict:
    """Check a scope: ``district`` true, or ``streets``/``grids`` (area codes), ``industries``
    (GB/T 4754 prefixes, narrowing the area) or ``enterprise_ids`` (an explicit list, used alone)."""
    scope = dict(scope or {})
    unknown = set(scope) - set(SCOPE_KEYS)
    if unknown:
        raise InspectionError(f"未知范围字段 {sorted(unknown)} / unknown scope keys; use {', '.join(SCOPE_KEYS)}")
    out: dict = {"district": bool(scope.get("district"))} if scope.get("district") else {}
    for key, pattern in (("streets", _CODE_RE), ("grids", _CODE_RE), ("industries", _INDUSTRY_RE)):
        values = [str(v) for v in scope.get(key) or []]
        if any(not pattern.match(v) for v in values):
            raise InspectionError(f"范围 {key} 中有格式错误的代码 / malformed codes in scope.{key}")
        if values:
            out[key] = sorted(set(values))
    ids = scope.get("enterprise_ids") or []
    if ids:
        if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
            raise InspectionError("enterprise_ids 须为整数列表 / enterprise_ids must be whole numbers")
        out["enterprise_ids"] = sorted(set(ids))
    if not (out.get("district") or out.get("streets") or out.get("grids") or out.get("enterprise_ids")):
        raise InspectionError("抽查范围为空：请选择全区、街道、网格或名单 / the scope is empty: choose the district, "
                              "streets, grids or a list of entities")
    return out


# ---------------------------------------------------------------- draws


def draw_plan(session: Session, plan_id: int, *, reason: str | None = None, created_by: str | None = None,
              seed: bytes | None = None) -> InspectionDraw:
    """Draw a plan (or re-draw it, which needs ``reason``); returns the stored, flushed draw."""
    plan = get_plan(session, plan_id)
    previous = current_draw(session, plan_id)
    reason = (reason or "").strip() or None
    _check_redraw(session, previous, reason)
    snapshot = build_snapshot(session, plan, exclude_draw_id=previous.id if previous else None)
    seed = seed or secrets.token_bytes(32)
    try:
        result = draws.draw(snapshot, seed)
    except draws.DrawError as exc:
        raise InspectionError(str(exc)) from exc
    row = InspectionDraw(plan_id=plan.id, seed_hex=seed.hex(), algorithm_version=draws.ALGORITHM_VERSION,
                         snapshot_sha256=draws.snapshot_sha256(snapshot), snapshot=draws.encode_snapshot(snapshot),
                         result=result, result_sha256=draws.result_sha256(result),
                         supersedes_id=previous.id if previous else None, redraw_reason=reason, created_by=created_by)
    plan.status = "drawn"
    session.add(row)
    session.flush()
    return row


def _check_redraw(session: Session, previous: InspectionDraw | None, reason: str | None) -> None:
    if previous is None:
        return
    if reason is None or len(reason) < 4:
        raise InspectionConflict("抽取结果一经产生即为最终结果；重新抽取须填写理由（至少 4 个字） / "
                                 "a draw is final: re-drawing needs a reason of at least 4 characters")
    if session.scalar(select(func.count()).where(InspectionResult.draw_id == previous.id)):
        raise InspectionConflict("该次抽取已录入检查结果，不能重新抽取 / results are recorded: the draw cannot be redone")


def current_draw(session: Session, plan_id: int) -> InspectionDraw | None:
    """The plan's draw that no later draw supersedes."""
    newer = select(InspectionDraw.supersedes_id).where(InspectionDraw.supersedes_id.is_not(None))
    return session.scalar(select(InspectionDraw).where(InspectionDraw.plan_id == plan_id,
                                                       InspectionDraw.id.not_in(newer)).order_by(InspectionDraw.id.desc()))


def get_draw(session: Session, draw_id: int) -> InspectionDraw:
    row = session.get(InspectionDraw, draw_id)
    if row is None:
        raise InspectionNotFound(f"没有编号为 {draw_id} 的抽取记录 / no draw {draw_id}")
    return row


def is_superseded(session: Session, draw_id: int) -> bool:
    return bool(session.scalar(select(func.count()).where(InspectionDraw.supersedes_id == draw_id)))


def build_snapshot(session: Session, plan: InspectionPlan, *, exclude_draw_id: int | None = None) -> draws.Snapshot:
    """The draw's input read from the database: entities in scope, inspectors, last year's visits."""
    where, params = _scope_sql(plan.scope)
    rows = session.execute(text(
        f"SELECT id, coalesce(risk_class, 'A'), grid_code FROM enterprise WHERE status <> ALL(:gone) AND {where}"),
        {**params, "gone": list(GONE_STATUSES)}).all()
    staff = session.execute(text(
        "SELECT id, department, grid_codes FROM staff WHERE active AND role = ANY(:roles) AND department = ANY(:depts)"),
        {"roles": list(DRAWABLE_ROLES), "depts": list(plan.departments)}).all()
    visits = _recent_visits(session, [s.id for s in staff], exclude_draw_id)
    try:
        return draws.build_snapshot(
            entity_ids=[r[0] for r in rows], entity_classes=[r[1] for r in rows], entity_grids=[r[2] for r in rows],
            inspectors=[draws.Inspector(s.id, s.department, tuple(s.grid_codes or ())) for s in staff],
            visits=visits, departments=plan.departments, ratios_percent=plan.ratios, team_size=plan.team_size)
    except draws.DrawError as exc:
        raise InspectionError(str(exc)) from exc


def _scope_sql(scope: dict) -> tuple[str, dict]:
    if scope.get("enterprise_ids"):
        return "id = ANY(:ids)", {"ids": scope["enterprise_ids"]}
    parts, params = [], {}
    if not scope.get("district"):
        areas = []
        if scope.get("streets"):
            areas.append("grid_code LIKE ANY(:street_patterns)")
            params["street_patterns"] = [s + "%" for s in scope["streets"]]
        if scope.get("grids"):
            areas.append("grid_code = ANY(:grids)")
            params["grids"] = scope["grids"]
        parts.append("(" + " OR ".join(areas or ["false"]) + ")")
    if scope.get("industries"):
        parts.append("industry_code LIKE ANY(:industry_patterns)")
        params["industry_patterns"] = [i + "%" for i in scope["industries"]]
    return " AND ".join(parts or ["true"]), params


def _recent_visits(session: Session, staff_ids: list[int], exclude_draw_id: int | None) -> list[tuple[int, int]]:
    rows = session.execute(text(
        "SELECT DISTINCT i.value::bigint, e.value::bigint FROM inspection_draw d "
        "CROSS JOIN LATERAL jsonb_array_elements(d.result->'teams') t "
        "CROSS JOIN LATERAL jsonb_array_elements_text(t->'inspectors') i "
        "CROSS JOIN LATERAL jsonb_array_elements_text(t->'entities') e "
        "WHERE d.created_at >= now() - make_interval(days => :days) AND d.id <> :exclude "
        "AND NOT EXISTS (SELECT 1 FROM inspection_draw n WHERE n.supersedes_id = d.id) "
        "AND i.value::bigint = ANY(:staff)"),
        {"days": VISIT_WINDOW_DAYS, "exclude": exclude_draw_id or -1, "staff": staff_ids}).all()
    return [(a, b) for a, b in rows]


def verify_draw(session: Session, draw_id: int) -> draws.Verification:
    """Re-run a stored draw from its snapshot and seed; proves the stored result is what it gives."""
    row = get_draw(session, draw_id)
    try:
        return draws.verify(snapshot_json=row.snapshot, snapshot_hash=row.snapshot_sha256, seed_hex=row.seed_hex,
                            algorithm_version=row.algorithm_version, result=row.result, result_hash=row.result_sha256)
    except (draws.DrawError, KeyError, ValueError) as exc:
        return draws.Verification(False, {"snapshot_readable": False}, f"快照无法读取 / snapshot unreadable: {exc}")


def entity_classes(result: dict) -> dict[int, str]:
    """Entity id → risk class at draw time, from a stored result."""
    return {eid: cls for cls, ids in result["selected"].items() for eid in ids}


def team_of(result: dict) -> dict[int, int]:
    return {eid: team["no"] for team in result["teams"] for eid in team["entities"]}
