"""Risk classes A–D (风险分类) from credit records, industry and status: the rules and the pure evaluator.

The rules live in a versioned TOML file (``risk_rules.toml`` beside this module, or a path an
official chooses); ``load_rules`` reads and checks it. ``classify`` evaluates one entity in pure
Python and says which records fed which rule; ``supervision.classify`` evaluates every entity
at once in SQL with the same rules, and a test holds the two to the same answers.

    >>> rules = load_rules()
    >>> facts = EntityFacts(status="存续", records=[Record(1, "penalty", dt.date(2026, 3, 1), amount_yuan=5000)])
    >>> classify(facts, rules, today=dt.date(2026, 6, 1)).risk_class
    'B'
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "risk_rules.toml"

CLASSES = ("A", "B", "C", "D")
# class → (Chinese label, colour name, hex colour): green / yellow / orange / red, as on the map.
CLASS_INFO = {
    "A": ("诚信守法", "green", "#2e9d4a"),
    "B": ("一般失信/许可缺失", "yellow", "#f2c200"),
    "C": ("严重失信/违法", "orange", "#f07c00"),
    "D": ("吊销/黑名单", "red", "#d7191c"),
}
CLAUSE_TYPES = ("status_in", "industry_in", "active", "count")
PLACEHOLDERS = ("count", "total", "since", "months", "status", "industry")
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


class RulesError(ValueError):
    """The rules file cannot be used; the message names the rule and field."""


@dataclass(frozen=True)
class Clause:
    type: str
    kind: str | None = None
    months: int | None = None
    min_count: int | None = None
    min_total_yuan: Decimal | None = None
    max_age_months: int | None = None
    min_age_months: int | None = None
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    industry_prefixes: tuple[str, ...] = ()

    @property
    def reads_records(self) -> bool:
        return self.type in ("active", "count")

    @property
    def count_threshold(self) -> int:
        """At least this many records (1 when only a total is required)."""
        return self.min_count if self.min_count is not None else 1


@dataclass(frozen=True)
class Rule:
    id: str
    risk_class: str
    reason: str
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Rules:
    version: str
    title: str
    rules: tuple[Rule, ...]

    def clauses_reading_records(self) -> list[Clause]:
        """Distinct record clauses, in file order (each becomes one aggregate in SQL)."""
        seen: list[Clause] = []
        for rule in self.rules:
            seen.extend(c for c in rule.clauses if c.reads_records and c not in seen)
        return seen


@dataclass(frozen=True)
class Record:
    """One credit record as the rules see it (``credit_record`` row)."""

    id: int
    kind: str
    decided_on: dt.date
    removed_on: dt.date | None = None
    amount_yuan: Decimal | float | None = None


@dataclass
class EntityFacts:
    status: str
    category: str | None = None
    industry_code: str | None = None
    industry_label: str | None = None
    records: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Reason:
    rule: str
    risk_class: str
    text: str
    record_ids: tuple[int, ...] = ()

    def stored(self) -> dict:
        """The form kept in ``enterprise.risk_reasons`` (and written by the SQL classifier)."""
        return {"rule": self.rule, "class": self.risk_class, "text": self.text}


@dataclass(frozen=True)
class Classification:
    risk_class: str
    reasons: tuple[Reason, ...]
    rules_version: str

    def stored_reasons(self) -> list[dict]:
        return [r.stored() for r in self.reasons]


# ---------------------------------------------------------------- loading


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rules file (TOML); raises RulesError with the offending rule."""
    path = Path(path) if path else DEFAULT_RULES_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"cannot read rules file {path}: {exc}") from exc
    return rules_from_dict(data)


def rules_from_dict(data: dict) -> Rules:
    version = str(data.get("version") or "").strip()
    if not version or len(version) > 32:
        raise RulesError("rules file needs a `version` of 1–32 characters")
    raw_rules = data.get("rule") or []
    if not raw_rules:
        raise RulesError("rules file has no [[rule]] entries")
    rules = tuple(_rule(r) for r in raw_rules)
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RulesError("rule ids must be unique")
    return Rules(version=version, title=str(data.get("title", "")), rules=rules)


def _rule(raw: dict) -> Rule:
    rule_id = str(raw.get("id") or "")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", rule_id):
        raise RulesError(f"rule id {rule_id!r} must be lower-case letters, digits and _")
    risk_class = raw.get("class")
    if risk_class not in CLASSES[1:]:
        raise RulesError(f"rule {rule_id}: class must be B, C or D, got {risk_class!r}")
    reason = str(raw.get("reason") or "")
    unknown = set(_PLACEHOLDER_RE.findall(reason)) - set(PLACEHOLDERS)
    if not reason or unknown:
        raise RulesError(f"rule {rule_id}: reason missing or has unknown placeholders {sorted(unknown)}")
    clauses = tuple(_clause(rule_id, c) for c in raw.get("clauses") or [])
    if not clauses:
        raise RulesError(f"rule {rule_id}: needs at least one clause")
    return Rule(id=rule_id, risk_class=risk_class, reason=reason, clauses=clauses)


def _clause(rule_id: str, raw: dict) -> Clause:
    kind = raw.get("type")
    if kind not in CLAUSE_TYPES:
        raise RulesError(f"rule {rule_id}: clause type must be one of {CLAUSE_TYPES}, got {kind!r}")
    ints = {k: _positive_int(rule_id, k, raw.get(k)) for k in ("months", "min_count", "max_age_months", "min_age_months")}
    total = raw.get("min_total_yuan")
    clause = Clause(type=kind, kind=raw.get("kind"), min_total_yuan=Decimal(str(total)) if total is not None else None,
                    statuses=tuple(raw.get("statuses", ())), categories=tuple(raw.get("categories", ())),
                    industry_prefixes=tuple(raw.get("industry_prefixes", ())), **ints)
    if clause.reads_records and not clause.kind:
        raise RulesError(f"rule {rule_id}: {kind} clause needs a record `kind`")
    if kind == "count" and not clause.months:
        raise RulesError(f"rule {rule_id}: count clause needs `months`")
    return clause


def _positive_int(rule_id: str, name: str, value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or value < 1:
        raise RulesError(f"rule {rule_id}: {name} must be a whole number ≥ 1, got {value!r}")
    return value


# ---------------------------------------------------------------- evaluation


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, clamped to the month's end (as PostgreSQL)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def clause_matches(clause: Clause, record: Record, today: dt.date) -> bool:
    """Does this record count for this clause at the reference date (ageing applied)?"""
    if record.kind != clause.kind or record.decided_on > today:
        return False
    if record.removed_on is not None and record.removed_on <= today:
        return False
    window = clause.months if clause.type == "count" else clause.max_age_months
    if window and record.decided_on <= months_before(today, window):
        return False
    return not (clause.min_age_months and record.decided_on > months_before(today, clause.min_age_months))


def format_yuan(amount: Decimal | float | int) -> str:
    """Whole yuan with thousands separators, halves rounded up: 35000.5 → '35,001'."""
    whole = Decimal(str(amount)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{int(whole):,}"


def _clause_facts(clause: Clause, facts: EntityFacts, today: dt.date) -> dict | None:
    """The placeholder values this clause provides, or None when it does not hold."""
    if clause.type == "status_in":
        return {"status": facts.status} if facts.status in clause.statuses else None
    if clause.type == "industry_in":
        code = facts.industry_code or ""
        hit = facts.category in clause.categories or any(code.startswith(p) for p in clause.industry_prefixes)
        return {"industry": facts.category or facts.industry_label or code} if hit else None
    matched = [r for r in facts.records if clause_matches(clause, r, today)]
    total = sum((Decimal(str(r.amount_yuan)) for r in matched if r.amount_yuan is not None), Decimal(0))
    enough = len(matched) >= clause.count_threshold
    if clause.type == "count" and clause.min_total_yuan is not None and matched:
        enough = enough or total >= clause.min_total_yuan
    if not enough:
        return None
    months = clause.months or clause.min_age_months or clause.max_age_months or 0
    return {"count": len(matched), "total": format_yuan(total), "months": months,
            "since": min(r.decided_on for r in matched).isoformat(), "_ids": [r.id for r in matched]}


def classify(facts: EntityFacts, rules: Rules, *, today: dt.date) -> Classification:
    """Class and reasons of one entity at the reference date ``today``; the worst fired rule wins."""
    reasons = []
    for rule in rules.rules:
        values: dict = {}
        ids: set[int] = set()
        for clause in rule.clauses:
            got = _clause_facts(clause, facts, today)
            if got is None:
                break
            ids.update(got.pop("_ids", ()))
            values.update(got)
        else:
            text = _fill(rule.reason, values)
            reasons.append(Reason(rule.id, rule.risk_class, text, tuple(sorted(ids))))
    worst = max((r.risk_class for r in reasons), default="A", key=CLASSES.index)
    return Classification(worst, tuple(reasons), rules.version)


def _fill(template: str, values: dict) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), "")), template)


def rules_digest(rules: Rules) -> str:
    """A short digest of the rules' content, to tell an edited file that kept its version number."""
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:12]
