"""Set-based classification in PostGIS: agrees with the pure evaluator, skips unchanged entities,
notices records that aged out, recomputes everything on a change of rules, bumps data versions."""

from __future__ import annotations

import copy
import datetime as dt
import random
import tomllib

from sqlalchemy import text

from supervision.classify import classify_entities
from supervision.risk import DEFAULT_RULES_PATH, EntityFacts, Record, classify, load_rules, rules_from_dict

TODAY = dt.date(2026, 6, 15)
KINDS = ["penalty", "penalty", "complaint", "complaint", "abnormal_list", "blacklist", "revocation",
         "court_dishonest", "missing_licence", "missing_annual_report", "inspection_problem"]
CATEGORIES = [(None, "6513", "应用软件开发"), ("网吧", "9013", "网吧活动"), (None, "6210", "正餐服务"), (None, "5251", "西药零售")]


def add_enterprise(session, n: int, *, status="存续", category=None, industry_code="6513", label="应用软件开发") -> int:
    return session.execute(text(
        "INSERT INTO enterprise (uscc, name, status, category, industry_code, industry_label, grid_code, geom) "
        "VALUES (:uscc, :name, :status, :cat, :code, :label, 'T-RISK', ST_SetSRID(ST_MakePoint(106.5, 29.6), 4326)) "
        "RETURNING id"), {"uscc": f"91RISKTEST{n:08d}", "name": f"风险测试企业{n}", "status": status, "cat": category,
                          "code": industry_code, "label": label}).scalar_one()


def add_record(session, enterprise_id: int, kind: str, decided_on: dt.date, *, removed_on=None, amount=None) -> int:
    return session.execute(text(
        "INSERT INTO credit_record (enterprise_id, kind, decided_on, removed_on, amount_yuan, is_public) "
        "VALUES (:e, :k, :d, :r, :a, true) RETURNING id"),
        {"e": enterprise_id, "k": kind, "d": decided_on, "r": removed_on, "a": amount}).scalar_one()


def random_population(session, n: int, seed: int = 3) -> list[int]:
    rng = random.Random(seed)
    ids = []
    for i in range(n):
        category, code, label = rng.choice(CATEGORIES)
        eid = add_enterprise(session, i, status=rng.choice(["存续"] * 12 + ["吊销", "注销"]), category=category,
                             industry_code=code, label=label)
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
            decided = TODAY - dt.timedelta(days=rng.randint(-20, 1300))
            removed = decided + dt.timedelta(days=rng.randint(1, 900)) if rng.random() < 0.25 else None
            amount = rng.choice([None, 500, 20000, 49999.5, 80000]) if rng.random() < 0.8 else None
            add_record(session, eid, rng.choice(KINDS), decided, removed_on=removed, amount=amount)
        ids.append(eid)
    return ids


def python_view(session, eid: int, rules, today) -> tuple[str, list[dict]]:
    e = session.execute(text("SELECT status, category, industry_code, industry_label FROM enterprise WHERE id = :i"),
                        {"i": eid}).one()
    rows = session.execute(text("SELECT id, kind, decided_on, removed_on, amount_yuan FROM credit_record "
                                "WHERE enterprise_id = :i"), {"i": eid}).all()
    facts = EntityFacts(e.status, e.category, e.industry_code, e.industry_label, [Record(*r) for r in rows])
    result = classify(facts, rules, today=today)
    return result.risk_class, result.stored_reasons()


def stored(session, ids: list[int]) -> dict[int, tuple]:
    rows = session.execute(text("SELECT id, risk_class, risk_reasons, risk_rules_version FROM enterprise "
                                "WHERE id = ANY(:ids)"), {"ids": ids}).all()
    return {r.id: (r.risk_class, r.risk_reasons, r.risk_rules_version) for r in rows}


def data_versions(session) -> dict[str, int]:
    return dict(session.execute(text("SELECT layer, version FROM data_version")).all())


def test_sql_and_python_agree_on_a_random_sample(session):
    rules = load_rules()
    ids = random_population(session, 150)
    report = classify_entities(session, rules=rules, today=TODAY, enterprise_ids=ids)
    assert report.examined == report.written == 150
    rows = stored(session, ids)
    for eid in ids:
        assert rows[eid][:2] == python_view(session, eid, rules, TODAY), eid
    assert {cls for cls, _, _ in rows.values()} == {"A", "B", "C", "D"}
    # the same reference date a year later ages most records out; still in agreement
    later = TODAY + dt.timedelta(days=400)
    classify_entities(session, rules=rules, today=later, enterprise_ids=ids)
    rows = stored(session, ids)
    assert all(rows[eid][:2] == python_view(session, eid, rules, later) for eid in ids)


def test_only_changed_entities_are_recomputed_and_moves_are_reported(session):
    ids = [add_enterprise(session, 900 + i) for i in range(5)]
    first = classify_entities(session, today=TODAY, enterprise_ids=ids)
    assert (first.examined, first.moves) == (5, {(None, "A"): 5})
    again = classify_entities(session, today=TODAY, enterprise_ids=ids)
    assert (again.examined, again.written) == (0, 0)
    add_record(session, ids[0], "blacklist", TODAY - dt.timedelta(days=3))
    add_record(session, ids[1], "complaint", TODAY - dt.timedelta(days=3))  # one complaint: still A
    after = classify_entities(session, today=TODAY, enterprise_ids=ids)
    assert (after.examined, after.written, after.moves) == (2, 2, {("A", "D"): 1})
    forced = classify_entities(session, today=TODAY, enterprise_ids=ids, force=True)
    assert (forced.examined, forced.written) == (5, 0)


def test_records_that_age_out_change_the_inputs(session):
    eid = add_enterprise(session, 950)
    add_record(session, eid, "penalty", TODAY - dt.timedelta(days=100), amount=35000)
    classify_entities(session, today=TODAY, enterprise_ids=[eid])
    assert stored(session, [eid])[eid][0] == "B"
    same_window = classify_entities(session, today=TODAY + dt.timedelta(days=30), enterprise_ids=[eid])
    assert same_window.examined == 0
    aged = classify_entities(session, today=TODAY + dt.timedelta(days=300), enterprise_ids=[eid])
    assert aged.moves == {("B", "A"): 1}
    assert stored(session, [eid])[eid][1] == []


def test_a_change_of_rules_recomputes_everything_and_counts_moves(session):
    ids = [add_enterprise(session, 960 + i) for i in range(4)]
    for eid in ids[:2]:
        add_record(session, eid, "penalty", TODAY - dt.timedelta(days=10), amount=1000)
        add_record(session, eid, "penalty", TODAY - dt.timedelta(days=20), amount=1000)
    classify_entities(session, today=TODAY, enterprise_ids=ids)
    data = copy.deepcopy(tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8")))
    data["version"] = "2026.2-test"
    next(r for r in data["rule"] if r["id"] == "heavy_penalties")["clauses"][0]["min_count"] = 2
    report = classify_entities(session, rules=rules_from_dict(data), today=TODAY, enterprise_ids=ids)
    assert (report.examined, report.written, report.moves) == (4, 4, {("B", "C"): 2})
    assert {v[2] for v in stored(session, ids).values()} == {"2026.2-test"}


def test_class_moves_bump_the_map_layers_data_versions(session):
    eid = add_enterprise(session, 970)
    classify_entities(session, today=TODAY, enterprise_ids=[eid])
    before = data_versions(session)
    add_record(session, eid, "complaint", TODAY)
    classify_entities(session, today=TODAY, enterprise_ids=[eid])  # inputs changed, class did not
    assert data_versions(session) == before
    add_record(session, eid, "court_dishonest", TODAY)
    classify_entities(session, today=TODAY, enterprise_ids=[eid])
    after = data_versions(session)
    for layer in ("enterprises", "grids"):
        assert after[layer] == before.get(layer, 1) + 1
