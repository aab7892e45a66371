"""``marketmap risk …``: classify entities into risk classes A–D (风险分类)."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask import current_app
from flask.cli import AppGroup

from supervision.classify import classify_entities
from supervision.risk import CLASSES, RulesError, load_rules


@click.group("risk", cls=AppGroup)
def risk_group() -> None:
    """Risk classification (风险分类) of market entities."""


@risk_group.command("classify")
@click.option("--all", "force", is_flag=True, help="Recompute every entity, not only those whose inputs changed.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="Rules file (TOML); default supervision/risk_rules.toml.")
@click.option("--date", "reference", type=click.DateTime(["%Y-%m-%d"]),
              help="Reference date for ageing records (default: today in China).")
def classify_command(force: bool, rules_path: str | None, reference: dt.datetime | None) -> None:
    """Recompute risk classes; only entities whose inputs changed unless --all.

    A new rules version changes every entity's inputs, so all are recomputed and the moves
    between classes are listed.
    """
    try:
        rules = load_rules(rules_path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    db = current_app.extensions["marketmap.db"]
    session = db.session()
    started = time.perf_counter()
    report = classify_entities(session, rules=rules, force=force, today=reference.date() if reference else None)
    session.commit()
    click.echo(f"rules {report.rules_version}, reference date {report.reference_date}: "
               f"{report.examined:,} recomputed, {report.written:,} written, {report.moved:,} moved between classes "
               f"({time.perf_counter() - started:.1f} s)")
    for (old, new), n in sorted(report.moves.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        click.echo(f"  {old or '—'} → {new}: {n:,}")


@risk_group.command("rules")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False))
def rules_command(rules_path: str | None) -> None:
    """Check a rules file and list its rules."""
    try:
        rules = load_rules(rules_path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{rules.title} — version {rules.version}, {len(rules.rules)} rules")
    for cls in reversed(CLASSES[1:]):
        for rule in (r for r in rules.rules if r.risk_class == cls):
            click.echo(f"  {cls}  {rule.id:<28} {rule.reason}")


commands = [risk_group]
