"""CLI for double-random inspections: verify a stored draw, list plans, draw a plan."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from supervision import inspections as insp


def _session():
    return current_app.extensions["marketmap.db"].session()


@click.group("inspections", cls=AppGroup)
def inspections_group() -> None:
    """Double-random inspections (双随机一公开)."""


@inspections_group.command("verify")
@click.argument("draw_id", type=int)
def verify(draw_id: int) -> None:
    """Re-run draw DRAW_ID from its seed and snapshot; exit 1 unless it reproduces bit for bit."""
    started = time.perf_counter()
    try:
        check = insp.verify_draw(_session(), draw_id)
    except insp.InspectionError as exc:
        raise click.ClickException(str(exc)) from exc
    for name, good in check.checks.items():
        click.echo(f"{'✓' if good else '✗'} {name}")
    click.echo(f"{check.message} ({time.perf_counter() - started:.2f} s)")
    if not check.ok:
        raise SystemExit(1)


@inspections_group.command("plans")
def plans() -> None:
    """List the latest plans with their current draw."""
    session = _session()
    for plan in insp.list_plans(session):
        current = insp.current_draw(session, plan.id)
        click.echo(f"{plan.id:>6}  {plan.status:<8} draw={current.id if current else '-':<6} {plan.name}")


@inspections_group.command("draw")
@click.argument("plan_id", type=int)
@click.option("--reason", default=None, help="Required to re-draw a plan that was drawn (logged).")
def draw(plan_id: int, reason: str | None) -> None:
    """Draw PLAN_ID (the audit trail records the draw with its seed and hashes)."""
    from supervision.audit import record

    session = _session()
    try:
        row = insp.draw_plan(session, plan_id, reason=reason, created_by="cli")
    except insp.InspectionError as exc:
        raise click.ClickException(str(exc)) from exc
    record(session, actor="cli", role="admin", action="inspection_redraw" if row.supersedes_id else "inspection_draw",
           object_type="inspection_draw", object_id=row.id,
           detail={"plan_id": plan_id, "seed_hex": row.seed_hex, "snapshot_sha256": row.snapshot_sha256,
                   "result_sha256": row.result_sha256, "supersedes_id": row.supersedes_id, "reason": row.redraw_reason})
    session.commit()
    drawn = row.result["drawn"]
    click.echo(f"draw {row.id}: " + ", ".join(f"{c} {n}" for c, n in drawn.items())
               + f"; {len(row.result['teams'])} teams, {len(row.result['unassigned'])} unassigned")


commands = [inspections_group]
