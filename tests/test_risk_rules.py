"""The risk rules in pure Python: each class boundary, ageing of records, and a change of rules."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib

import pytest

from supervision.risk import (
    DEFAULT_RULES_PATH,
    EntityFacts,
    Record,
    RulesError,
    classify,
    format_yuan,
    load_rules,
    months_before,
    rules_from_dict,
)

TODAY = dt.date(2026, 6, 15)
RULES = load_rules()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def rec(kind: str, decided_on: dt.date, *, removed_on: dt.date | None = None, amount: float | None = None,
        rid: int = 0) -> Record:
    return Record(rid, kind, decided_on, removed_on=removed_on, amount_yuan=amount)


def penalty(n_days: int, amount: float = 1000, **kw) -> Record:
    return rec("penalty", days_ago(n_days), amount=amount, **kw)


CASES = [
    # (description, status, category, industry_code, records, expected class)
    ("clean entity", "存续", None, "6513", [], "A"),
    ("one penalty 11 months ago", "存续", None, "6513", [penalty(330)], "B"),
    ("penalty exactly 12 months old has aged out", "存续", None, "6513",
     [rec("penalty", months_before(TODAY, 12), amount=5000)], "A"),
    ("penalty lifted by credit repair", "存续", None, "6513", [penalty(30, removed_on=days_ago(1))], "A"),
    ("penalty removed only tomorrow still counts", "存续", None, "6513",
     [penalty(30, removed_on=TODAY + dt.timedelta(days=1))], "B"),
    ("penalty decided in the future is ignored", "存续", None, "6513", [penalty(-5)], "A"),
    ("two penalties totalling 99,999", "存续", None, "6513", [penalty(10, 50000), penalty(20, 49999)], "B"),
    ("two penalties totalling 100,000", "存续", None, "6513", [penalty(10, 50000), penalty(20, 50000)], "C"),
    ("three small penalties", "存续", None, "6513", [penalty(10), penalty(20), penalty(30)], "C"),
    ("abnormal list", "存续", None, "6513", [rec("abnormal_list", days_ago(100))], "B"),
    ("abnormal list removed", "存续", None, "6513", [rec("abnormal_list", days_ago(100), removed_on=days_ago(5))], "A"),
    ("abnormal list 24 months to the day", "存续", None, "6513", [rec("abnormal_list", months_before(TODAY, 24))], "C"),
    ("abnormal list a day short of 24 months", "存续", None, "6513",
     [rec("abnormal_list", months_before(TODAY, 24) + dt.timedelta(days=1))], "B"),
    ("missing licence", "存续", None, "5251", [rec("missing_licence", days_ago(3))], "B"),
    ("missing annual report within 36 months", "存续", None, "6513",
     [rec("missing_annual_report", months_before(TODAY, 36) + dt.timedelta(days=1))], "B"),
    ("missing annual report older than 36 months", "存续", None, "6513",
     [rec("missing_annual_report", months_before(TODAY, 36))], "A"),
    ("two complaints", "存续", None, "6513", [rec("complaint", days_ago(10)), rec("complaint", days_ago(20))], "A"),
    ("three complaints", "存续", None, "6513", [rec("complaint", days_ago(d)) for d in (10, 20, 30)], "B"),
    ("three complaints at an internet café", "存续", "网吧", "9013", [rec("complaint", days_ago(d)) for d in (1, 2, 3)], "C"),
    ("three complaints at a restaurant (62xx)", "存续", None, "6210", [rec("complaint", days_ago(d)) for d in (1, 2, 3)], "C"),
    ("complaints 13 months old", "存续", "网吧", "9013", [rec("complaint", days_ago(400 + d)) for d in (1, 2, 3)], "A"),
    ("court dishonest list", "存续", None, "6513", [rec("court_dishonest", days_ago(50))], "C"),
    ("blacklist", "存续", None, "6513", [rec("blacklist", days_ago(50))], "D"),
    ("blacklist removed", "存续", None, "6513", [rec("blacklist", days_ago(500), removed_on=days_ago(1))], "A"),
    ("revocation decision", "存续", None, "6513", [rec("revocation", days_ago(2000))], "D"),
    ("revoked status", "吊销", None, "6513", [], "D"),
    ("deregistered, clean", "注销", None, "6513", [], "A"),
    ("worst rule wins", "存续", None, "6513", [penalty(10), rec("blacklist", days_ago(3))], "D"),
]


@pytest.mark.parametrize("description,status,category,industry_code,records,expected", CASES,
                         ids=[c[0] for c in CASES])
def test_class_boundaries(description, status, category, industry_code, records, expected):
    facts = EntityFacts(status=status, category=category, industry_code=industry_code, records=records)
    assert classify(facts, RULES, today=TODAY).risk_class == expected


def test_reasons_are_in_words_with_amounts_dates_and_records():
    records = [penalty(40, 20000, rid=11), penalty(200, 15000, rid=12), penalty(500, 9000, rid=13),
               rec("abnormal_list", dt.date(2025, 3, 2), rid=14)]
    result = classify(EntityFacts(status="存续", records=records), RULES, today=TODAY)
    assert result.risk_class == "B" and result.rules_version == RULES.version
    texts = {r.rule: r.text for r in result.reasons}
    assert texts["penalties"] == "近 12 个月受行政处罚 2 次，罚没合计 ¥35,000"
    assert texts["abnormal_list"] == "列入经营异常名录，自 2025-03-02 起"
    assert {r.rule: r.record_ids for r in result.reasons} == {"penalties": (11, 12), "abnormal_list": (14,)}


INSPECTION_CASES = [
    # (description, records, class, reason of the inspection_problem rule or None)
    ("no inspection record", [], "A", None),
    ("problem found last month", [rec("inspection_problem", days_ago(30))], "B",
     f"近 12 个月双随机抽查发现问题 1 次，最早于 {days_ago(30).isoformat()}"),
    ("two problems, earliest named", [rec("inspection_problem", days_ago(300)), rec("inspection_problem", days_ago(10))],
     "B", f"近 12 个月双随机抽查发现问题 2 次，最早于 {days_ago(300).isoformat()}"),
    ("found on the reference day", [rec("inspection_problem", TODAY)], "B",
     f"近 12 个月双随机抽查发现问题 1 次，最早于 {TODAY.isoformat()}"),
    ("12 months to the day: aged out", [rec("inspection_problem", months_before(TODAY, 12))], "A", None),
    ("one day inside 12 months", [rec("inspection_problem", months_before(TODAY, 12) + dt.timedelta(days=1))], "B",
     f"近 12 个月双随机抽查发现问题 1 次，最早于 {(months_before(TODAY, 12) + dt.timedelta(days=1)).isoformat()}"),
    ("rectified and removed", [rec("inspection_problem", days_ago(30), removed_on=days_ago(5))], "A", None),
    ("decided after the reference date", [rec("inspection_problem", TODAY + dt.timedelta(days=1))], "A", None),
    ("with a blacklist the worst class wins", [rec("inspection_problem", days_ago(30)), rec("blacklist", days_ago(30))],
     "D", f"近 12 个月双随机抽查发现问题 1 次，最早于 {days_ago(30).isoformat()}"),
]


@pytest.mark.parametrize("description,records,expected,reason", INSPECTION_CASES, ids=[c[0] for c in INSPECTION_CASES])
def test_a_problem_found_at_inspection_is_class_b_for_12_months(description, records, expected, reason):
    result = classify(EntityFacts(status="存续", records=records), RULES, today=TODAY)
    assert result.risk_class == expected
    assert {r.rule: r.text for r in result.reasons}.get("inspection_problem") == reason


def test_ageing_moves_an_entity_down_over_time():
    records = [penalty(0, 60000), rec("penalty", TODAY, amount=40000)]
    facts = EntityFacts(status="存续", records=records)
    later = [classify(facts, RULES, today=months_before(TODAY, -m)).risk_class for m in (0, 11, 12)]
    assert later == ["C", "C", "A"]


def test_a_change_of_rules_changes_classes_and_version():
    data = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    stricter = copy.deepcopy(data)
    stricter["version"] = "2026.2-test"
    for rule in stricter["rule"]:
        if rule["id"] == "heavy_penalties":
            rule["clauses"][0]["min_count"] = 2
    new_rules = rules_from_dict(stricter)
    facts = EntityFacts(status="存续", records=[penalty(10), penalty(20)])
    assert classify(facts, RULES, today=TODAY).risk_class == "B"
    moved = classify(facts, new_rules, today=TODAY)
    assert (moved.risk_class, moved.rules_version) == ("C", "2026.2-test")


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.pop("version"), "version"),
    (lambda d: d["rule"][0].update({"class": "E"}), "class must be"),
    (lambda d: d["rule"][0].update({"reason": "{nonsense}"}), "placeholders"),
    (lambda d: d["rule"][3]["clauses"][0].pop("months"), "needs `months`"),
    (lambda d: d["rule"][3]["clauses"][0].update({"min_count": 0}), "≥ 1"),
    (lambda d: d["rule"][1].update({"id": d["rule"][0]["id"]}), "unique"),
])
def test_bad_rules_files_are_refused_with_the_reason(mutate, message):
    data = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(RulesError, match=message):
        rules_from_dict(data)


@pytest.mark.parametrize("day,months,expected", [
    (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2024, 2, 29), 12, dt.date(2023, 2, 28)),
    (dt.date(2026, 1, 15), 13, dt.date(2024, 12, 15)),
])
def test_months_before_clamps_like_postgresql(day, months, expected):
    assert months_before(day, months) == expected


def test_format_yuan_rounds_half_up():
    assert [format_yuan(x) for x in (0, 35000, 1234567.5, 0.49)] == ["0", "35,000", "1,234,568", "0"]
