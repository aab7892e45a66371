"""Classify every entity at once, set-based in SQL, writing only what changed.

How "only entities whose inputs changed" works, ageing included: for every entity the SQL
aggregates the credit records *as seen at the reference date* (counts, totals and earliest dates
per rule clause, after windows and removals are applied) and hashes them together with status,
industry and the rules' version and digest. That hash is ``risk_inputs_hash``. An entity is
recomputed only when its hash or rules version differs from the stored one, so a new or deleted
record, a record that aged out of a 12-month window, a listing removed yesterday, an edited
status, or an edited rules file each change the hash; an unchanged entity costs one aggregate
row and no write. Rows are written only when class, reasons, version or hash differ, because
at 10^6 rows the UPDATE (with the table's indexes) is what costs.

Thresholds, kinds and dates are bound parameters; the SQL text is built only from the rules'
structure (clause positions), never from their values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from supervision.risk import Clause, Rule, Rules, load_rules, months_before, rules_digest

TIMEZONE = ZoneInfo("Asia/Shanghai")
LAYERS_SHOWING_CLASSES = ("enterprises", "grids")
_PLACEHOLDER_SPLIT = re.compile(r"(\{\w+\})")


@dataclass
class ClassifyReport:
    rules_version: str
    reference_date: dt.date
    examined: int = 0  # entities whose inputs or rules changed (all with --all)
    written: int = 0  # rows updated
    changed: int = 0  # rows whose class or reasons changed
    moves: dict[tuple[str | None, str], int] = field(default_factory=dict)  # (old, new) → entities

    @property
    def moved(self) -> int:
        return sum(self.moves.values())


def today_in_china() -> dt.date:
    return dt.datetime.now(TIMEZONE).date()


def classify_entities(session: Session, *, rules: Rules | None = None, today: dt.date | None = None,
                      force: bool = False, enterprise_ids: list[int] | None = None) -> ClassifyReport:
    """Recompute risk classes (all entities, or ``enterprise_ids``) and bump the map layers' data versions.

    ``today`` is the reference date for ageing (default: today in China). ``force`` recomputes
    entities whose inputs did not change (their rows are still only written if something differs).
    The caller commits.
    """
    rules = rules or load_rules()
    today = today or today_in_china()
    sql, params = _classification_sql(rules, today, restrict=enterprise_ids is not None)
    params.update(force=force, ids=list(enterprise_ids or []))
    row = session.execute(text(sql), params).one()
    report = ClassifyReport(rules.version, today, examined=row.examined, written=row.written, changed=row.changed,
                            moves={(old, new): n for old, new, n in row.moves})
    if report.moved:
        bump_data_versions(session, LAYERS_SHOWING_CLASSES)
    return report


STAGED_FACTS = """id bigint, enterprise_id bigint, old_class text, old_reasons jsonb, old_version text,
    old_hash text, status text, category text, industry_code text, industry_label text"""


def classify_staged(session: Session, *, facts_table: str, results_table: str, rules: Rules | None = None,
                    today: dt.date | None = None) -> ClassifyReport:
    """Classify rows about to be written (an import's staging), with the same rules and hash as
    ``classify_entities``, without touching ``enterprise``.

    ``facts_table`` (a temporary table, columns ``STAGED_FACTS``) holds each row's merged status,
    category and industry, its stored id (``enterprise_id``, NULL for a new entity) and its stored
    risk fields (``old_*``). Rows whose class, reasons, version or hash would change are inserted
    into ``results_table`` (id, risk_class, risk_reasons, risk_rules_version, risk_inputs_hash).
    The caller writes them and bumps the data versions if ``moved``.
    """
    rules = rules or load_rules()
    today = today or today_in_china()
    sql, params = _classification_sql(rules, today, restrict=False, staged=(facts_table, results_table))
    params.update(force=False, ids=[])
    row = session.execute(text(sql), params).one()
    return ClassifyReport(rules.version, today, examined=row.examined, written=row.written, changed=row.changed,
                          moves={(old, new): n for old, new, n in row.moves})


def bump_data_versions(session: Session, layers: tuple[str, ...]) -> None:
    """Add one to each layer's data version (tile ETags change with it)."""
    session.execute(text(
        "INSERT INTO data_version (layer, version, updated_at) SELECT l, 2, now() FROM unnest(CAST(:layers AS text[])) l "
        "ON CONFLICT (layer) DO UPDATE SET version = data_version.version + 1, updated_at = now()"),
        {"layers": list(layers)})


# ---------------------------------------------------------------- SQL building


class _Builder:
    """Collects bound parameters while the statement is assembled."""

    def __init__(self, today: dt.date):
        self.params: dict = {"today": today}

    def bind(self, name: str, value, sql_type: str | None = None) -> str:
        self.params[name] = value
        return f"CAST(:{name} AS {sql_type})" if sql_type else f":{name}"


def _record_filter(b: _Builder, i: int, clause: Clause, today: dt.date) -> str:
    parts = [f"kind = {b.bind(f'kind_{i}', clause.kind, 'text')}", "(removed_on IS NULL OR removed_on > :today)"]
    window = clause.months if clause.type == "count" else clause.max_age_months
    if window:
        parts.append(f"decided_on > {b.bind(f'from_{i}', months_before(today, window), 'date')}")
    if clause.min_age_months:
        parts.append(f"decided_on <= {b.bind(f'upto_{i}', months_before(today, clause.min_age_months), 'date')}")
    return " AND ".join(parts)


def _aggregates(b: _Builder, clauses: list[Clause], today: dt.date) -> str:
    cols = []
    for i, clause in enumerate(clauses):
        cond = _record_filter(b, i, clause, today)
        cols += [f"count(*) FILTER (WHERE {cond}) AS n_{i}", f"min(decided_on) FILTER (WHERE {cond}) AS since_{i}",
                 f"sum(amount_yuan) FILTER (WHERE {cond}) AS total_{i}"]
    return ", ".join(cols) or "count(*) AS n_none"


def _clause_condition(b: _Builder, key: str, clause: Clause, i: int | None) -> str:
    if clause.type == "status_in":
        return f"(status = ANY({b.bind(f'st_{key}', list(clause.statuses), 'text[]')}))"
    if clause.type == "industry_in":
        patterns = [p.replace("%", r"\%").replace("_", r"\_") + "%" for p in clause.industry_prefixes]
        return (f"(coalesce(category = ANY({b.bind(f'cat_{key}', list(clause.categories), 'text[]')}), false) OR "
                f"coalesce(industry_code LIKE ANY({b.bind(f'pre_{key}', patterns, 'text[]')}), false))")
    cond = f"coalesce(n_{i}, 0) >= {b.bind(f'mc_{key}', clause.count_threshold, 'integer')}"
    if clause.type == "count" and clause.min_total_yuan is not None:
        cond += f" OR (coalesce(n_{i}, 0) > 0 AND coalesce(total_{i}, 0) >= {b.bind(f'mt_{key}', clause.min_total_yuan, 'numeric')})"
    return f"({cond})"


def _placeholder_sql(clause: Clause, i: int | None) -> dict[str, str]:
    if clause.type == "status_in":
        return {"status": "coalesce(status, '')"}
    if clause.type == "industry_in":
        return {"industry": "coalesce(nullif(category, ''), nullif(industry_label, ''), industry_code, '')"}
    months = clause.months or clause.min_age_months or clause.max_age_months or 0
    return {"count": f"coalesce(n_{i}, 0)::text", "since": f"coalesce(to_char(since_{i}, 'YYYY-MM-DD'), '')",
            "total": f"to_char(round(coalesce(total_{i}, 0)), 'FM999,999,999,999,990')", "months": f"'{int(months)}'"}


def _reason_sql(b: _Builder, r: int, rule: Rule, index: dict[Clause, int]) -> str:
    values: dict[str, str] = {}
    for clause in rule.clauses:
        values.update(_placeholder_sql(clause, index.get(clause)))
    parts = []
    for j, piece in enumerate(_PLACEHOLDER_SPLIT.split(rule.reason)):
        if piece.startswith("{") and piece.endswith("}"):
            parts.append(values.get(piece[1:-1], "''"))
        elif piece:
            parts.append(b.bind(f"lit_{r}_{j}", piece, "text"))
    text_sql = f"concat({', '.join(parts)})"
    return (f"CASE WHEN r_{r} THEN jsonb_build_object('rule', {b.bind(f'rid_{r}', rule.id, 'text')}, "
            f"'class', {b.bind(f'rc_{r}', rule.risk_class, 'text')}, 'text', {text_sql}) END")


def _class_sql(rules: Rules) -> str:
    whens = []
    for cls in ("D", "C", "B"):
        fired = [f"r_{r}" for r, rule in enumerate(rules.rules) if rule.risk_class == cls]
        if fired:
            whens.append(f"WHEN {' OR '.join(fired)} THEN '{cls}'")
    return f"CASE {' '.join(whens)} ELSE 'A' END"


# Where the facts come from: every entity (or some ids) in the table, or staged rows (STAGED_FACTS).
_AGG_ONLY = {"all": "", "ids": "AND enterprise_id = ANY(CAST(:ids AS bigint[]))",
             "staged": "AND enterprise_id IN (SELECT enterprise_id FROM {table} WHERE enterprise_id IS NOT NULL)"}
_FACTS = {
    "table": """SELECT e.id, e.risk_class AS old_class, e.risk_reasons AS old_reasons, e.risk_rules_version AS old_version,
         e.risk_inputs_hash AS old_hash, e.status, e.category, e.industry_code, e.industry_label {agg_cols}
  FROM enterprise e LEFT JOIN agg a ON a.enterprise_id = e.id {only_e}""",
    "staged": """SELECT f.id, f.old_class, f.old_reasons, f.old_version, f.old_hash, f.status, f.category,
         f.industry_code, f.industry_label {agg_cols}
  FROM {table} f LEFT JOIN agg a ON a.enterprise_id = f.enterprise_id""",
}
_DIFFERS = """(c.old_class IS DISTINCT FROM c.new_class OR c.old_reasons IS DISTINCT FROM c.new_reasons
        OR c.old_version IS DISTINCT FROM CAST(:version AS text) OR c.old_hash IS DISTINCT FROM c.inputs_hash)"""
_WRITE = {
    "table": f"""upd AS (
  UPDATE enterprise e SET risk_class = c.new_class, risk_reasons = c.new_reasons,
         risk_rules_version = CAST(:version AS text), risk_inputs_hash = c.inputs_hash, risk_updated_at = now()
  FROM computed c
  WHERE e.id = c.id AND {_DIFFERS}
  RETURNING c.old_class, c.new_class, c.old_reasons IS DISTINCT FROM c.new_reasons AS reasons_changed
)""",
    "staged": f"""upd AS MATERIALIZED (
  SELECT c.id, c.old_class, c.new_class, c.new_reasons, c.inputs_hash,
         c.old_reasons IS DISTINCT FROM c.new_reasons AS reasons_changed
  FROM computed c WHERE {_DIFFERS}
), ins AS (
  INSERT INTO {{out}} (id, risk_class, risk_reasons, risk_rules_version, risk_inputs_hash)
  SELECT id, new_class, new_reasons, CAST(:version AS text), inputs_hash FROM upd
)""",
}


def _classification_sql(rules: Rules, today: dt.date, *, restrict: bool, staged: tuple[str, str] | None = None
                        ) -> tuple[str, dict]:
    """The statement that classifies; ``staged`` = (facts table, results table) classifies staged rows
    into the results table instead of updating ``enterprise`` (see ``classify_staged``)."""
    b = _Builder(today)
    clauses = rules.clauses_reading_records()
    index = {c: i for i, c in enumerate(clauses)}
    agg_cols = ", ".join(f"a.n_{i}, a.since_{i}, a.total_{i}" for i in range(len(clauses)))
    hashed = ["status", "category", "industry_code", "industry_label"]
    hashed += [f"{col}_{i}::text" for i in range(len(clauses)) for col in ("n", "since", "total")]
    hash_parts = ", ".join(f"coalesce({col}, '')" for col in hashed)
    fired = ", ".join(f"({' AND '.join(_clause_condition(b, f'{r}_{k}', c, index.get(c)) for k, c in enumerate(rule.clauses))}) AS r_{r}"
                      for r, rule in enumerate(rules.rules))
    reasons = ", ".join(_reason_sql(b, r, rule, index) for r, rule in enumerate(rules.rules))
    b.params.update(version=rules.version, digest=rules_digest(rules))
    source = "staged" if staged else "table"
    only = _AGG_ONLY["staged" if staged else "ids" if restrict else "all"].format(table=staged and staged[0])
    only_e = "WHERE e.id = ANY(CAST(:ids AS bigint[]))" if restrict else ""
    facts = _FACTS[source].format(agg_cols=", " + agg_cols if agg_cols else "", only_e=only_e,
                                  table=staged and staged[0])
    write = _WRITE[source].format(out=staged and staged[1])
    sql = f"""
WITH agg AS (
  SELECT enterprise_id, {_aggregates(b, clauses, today)}
  FROM credit_record WHERE decided_on <= :today {only} GROUP BY enterprise_id
), facts AS (
  {facts}
), todo AS (
  SELECT f.*, md5(concat_ws('|', CAST(:version AS text), CAST(:digest AS text), {hash_parts})) AS inputs_hash
  FROM facts f
), work AS (
  SELECT * FROM todo
  WHERE CAST(:force AS boolean) OR old_hash IS DISTINCT FROM inputs_hash
     OR old_version IS DISTINCT FROM CAST(:version AS text) OR old_class IS NULL
), fired AS (
  SELECT w.*, {fired} FROM work w
), computed AS (
  SELECT id, old_class, old_reasons, old_version, old_hash, inputs_hash, {_class_sql(rules)} AS new_class,
         to_jsonb(array_remove(ARRAY[{reasons}]::jsonb[], NULL)) AS new_reasons
  FROM fired
), {write}
SELECT (SELECT count(*) FROM work) AS examined, (SELECT count(*) FROM upd) AS written,
       (SELECT count(*) FROM upd WHERE old_class IS DISTINCT FROM new_class OR reasons_changed) AS changed,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(old_class, new_class, n)), '[]'::jsonb)
          FROM (SELECT old_class, new_class, count(*) AS n FROM upd
                WHERE old_class IS DISTINCT FROM new_class GROUP BY 1, 2) m) AS moves
"""
    return sql, b.params
