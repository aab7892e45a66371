"""Results of double-random inspections: recording one entity's result, and their publication (公示).

A problem found becomes an ``inspection_problem`` credit record, an entity not found at its
registered address an ``abnormal_list`` one, and the entity is reclassified. The caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import CreditRecord, InspectionDraw, InspectionPlan, InspectionResult
from supervision.inspections import (
    InspectionConflict,
    InspectionError,
    entity_classes,
    get_draw,
    get_plan,
    is_superseded,
    load_items,
)

OUTCOMES = {"no_problem": "未发现问题", "problem_found": "发现问题", "not_found": "通过登记的住所（经营场所）无法联系",
            "closed": "已关闭停业"}
CREDIT_KIND_BY_OUTCOME = {"problem_found": "inspection_problem", "not_found": "abnormal_list"}


def record_result(session: Session, draw_id: int, *, enterprise_id: int, items_checked: list[str], outcome: str,
                  inspected_on: dt.date, notes: str | None = None) -> dict:
    """Store one entity's result; a problem or an unreachable address becomes a credit record and
    the entity is reclassified. Returns ``{"result", "credit_record_id", "reclassified"}``."""
    row = get_draw(session, draw_id)
    plan = get_plan(session, row.plan_id)
    _check_result(session, row, plan, enterprise_id=enterprise_id, items_checked=items_checked, outcome=outcome,
                  inspected_on=inspected_on)
    result = InspectionResult(draw_id=draw_id, enterprise_id=enterprise_id, items_checked=list(items_checked),
                              outcome=outcome, notes=notes, inspected_on=inspected_on)
    session.add(result)
    record = _credit_record(plan, enterprise_id, outcome, inspected_on)
    if record is not None:
        session.add(record)
    session.flush()
    return {"result": result, "credit_record_id": record.id if record else None,
            "reclassified": _reclassify(session, enterprise_id) if record else False}


def _check_result(session: Session, row: InspectionDraw, plan: InspectionPlan, *, enterprise_id: int,
                  items_checked: list[str], outcome: str, inspected_on: dt.date) -> None:
    if outcome not in OUTCOMES:
        raise InspectionError(f"检查结果须为 {', '.join(OUTCOMES)} 之一 / unknown outcome {outcome!r}")
    if is_superseded(session, row.id):
        raise InspectionConflict("该次抽取已被重新抽取取代 / this draw was superseded by a re-draw")
    if enterprise_id not in entity_classes(row.result):
        raise InspectionError(f"监管对象 {enterprise_id} 不在本次抽取名单中 / entity not drawn in draw {row.id}")
    stray = [i for i in items_checked if i not in plan.items]
    if stray:
        raise InspectionError(f"检查事项 {stray} 不在计划中 / items not in the plan")
    if inspected_on > dt.date.today() + dt.timedelta(days=1):
        raise InspectionError("检查日期不能晚于今天 / the inspection date is in the future")
    exists = select(func.count()).where(InspectionResult.draw_id == row.id,
                                        InspectionResult.enterprise_id == enterprise_id)
    if session.scalar(exists):
        raise InspectionConflict(f"监管对象 {enterprise_id} 的检查结果已录入 / a result is already recorded")


def _credit_record(plan: InspectionPlan, enterprise_id: int, outcome: str, day: dt.date) -> CreditRecord | None:
    kind = CREDIT_KIND_BY_OUTCOME.get(outcome)
    if kind is None:
        return None
    department = "市场监管局" if kind == "abnormal_list" else "、".join(plan.departments)
    return CreditRecord(enterprise_id=enterprise_id, kind=kind, decided_on=day, department=department,
                        severity="general", is_public=True,
                        description=f"双随机抽查（{plan.name}）：{OUTCOMES[outcome]}")


def _reclassify(session: Session, enterprise_id: int) -> bool:
    try:
        from supervision.classify import classify_entities
    except ImportError:  # the risk engine is not installed: the record waits for the next full run
        return False
    classify_entities(session, enterprise_ids=[enterprise_id])
    return True


def draw_results(session: Session, draw_id: int) -> list[InspectionResult]:
    return list(session.scalars(select(InspectionResult).where(InspectionResult.draw_id == draw_id)
                                .order_by(InspectionResult.id)))


def public_results(session: Session, *, plan_id: int | None = None, limit: int = 100, offset: int = 0) -> dict:
    """The disclosure (公示) of results: public fields only (no notes, inspectors, risk class)."""
    rows = session.execute(text(
        "SELECT r.id, r.inspected_on, r.outcome, r.items_checked, p.id AS plan_id, p.name AS plan_name, "
        "p.departments, e.name AS enterprise_name, e.uscc, count(*) OVER () AS total "
        "FROM inspection_result r JOIN inspection_draw d ON d.id = r.draw_id "
        "JOIN inspection_plan p ON p.id = d.plan_id JOIN enterprise e ON e.id = r.enterprise_id "
        "WHERE (CAST(:plan AS bigint) IS NULL OR p.id = :plan) "
        "ORDER BY r.inspected_on DESC, r.id DESC LIMIT :limit OFFSET :offset"),
        {"plan": plan_id, "limit": limit, "offset": offset}).mappings().all()
    catalogue = load_items()
    items = [{"id": r["id"], "plan_id": r["plan_id"], "plan_name": r["plan_name"], "departments": r["departments"],
              "enterprise_name": r["enterprise_name"], "uscc": r["uscc"], "inspected_on": r["inspected_on"],
              "outcome": r["outcome"], "outcome_label": OUTCOMES[r["outcome"]],
              "items_checked": [catalogue[i].name for i in r["items_checked"] if i in catalogue and catalogue[i].public]}
             for r in rows]
    return {"total": rows[0]["total"] if rows else 0, "limit": limit, "offset": offset, "results": items}
