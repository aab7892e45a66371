"""One entity's risk profile: stored class and reasons, and the credit records behind each reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from supervision.risk import CLASS_INFO, EntityFacts, Record, Rules, classify


class EnterpriseNotFound(LookupError):
    """No entity has this USCC."""


_ENTERPRISE = text("""
SELECT id, uscc, name, short_name, entity_type, industry_code, industry_label, category, status, established_on,
       registered_address, operating_address, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat,
       risk_class, risk_reasons, risk_rules_version, risk_updated_at
FROM enterprise WHERE uscc = :uscc""")
_RECORDS = text("""
SELECT id, kind, decided_on, removed_on, amount_yuan, department, severity, document_no, description, is_public
FROM credit_record WHERE enterprise_id = :id ORDER BY decided_on DESC, id DESC""")


def class_info(risk_class: str | None) -> dict | None:
    if risk_class not in CLASS_INFO:
        return None
    label, colour, hex_colour = CLASS_INFO[risk_class]
    return {"class": risk_class, "label": label, "colour": colour, "hex": hex_colour}


def enterprise_profile(session: Session, uscc: str, *, rules: Rules, today: dt.date) -> dict:
    """The entity, its stored risk (class, colour, reasons, rules version) and its credit records.

    Each record lists the rules it feeds today (``rules``, from the pure evaluator); the stored
    reasons stay what the last classification wrote.
    """
    row = session.execute(_ENTERPRISE, {"uscc": uscc}).mappings().first()
    if row is None:
        raise EnterpriseNotFound(f"未找到统一社会信用代码为 {uscc} 的主体 / no entity with USCC {uscc}")
    entity = {k: v for k, v in row.items() if not k.startswith("risk_")}
    records = [dict(r) for r in session.execute(_RECORDS, {"id": row["id"]}).mappings()]
    feeds = _rules_per_record(entity, records, rules, today)
    for record in records:
        record["amount_yuan"] = float(record["amount_yuan"]) if record["amount_yuan"] is not None else None
        record["rules"] = feeds.get(record["id"], [])
    risk = {**(class_info(row["risk_class"]) or {"class": None}), "reasons": row["risk_reasons"] or [],
            "rules_version": row["risk_rules_version"], "updated_at": row["risk_updated_at"]}
    return {"enterprise": entity, "risk": risk, "records": records}


def _rules_per_record(entity: dict, records: list[dict], rules: Rules, today: dt.date) -> dict[int, list[str]]:
    facts = EntityFacts(entity["status"], entity["category"], entity["industry_code"], entity["industry_label"],
                        [Record(r["id"], r["kind"], r["decided_on"], r["removed_on"], r["amount_yuan"]) for r in records])
    feeds: dict[int, list[str]] = {}
    for reason in classify(facts, rules, today=today).reasons:
        for record_id in reason.record_ids:
            feeds.setdefault(record_id, []).append(reason.rule)
    return feeds
