"""``marketmap grids|staff|complaints``: grid versions, assignment, staff and routing, escalation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.import_cli import audit_import
from gridding.assign import assign_version
from gridding.complaints import escalate_overdue
from gridding.errors import ComplaintError, GridError, GridNotFound
from gridding.gridfile import read_grid_file
from gridding.staff import import_rules, read_table
from gridding.validate import validate_version
from gridding.versions import activate, active_version, get_version, import_version, list_versions
from importer import ImportRejected, run_import
from importer.reports import format_summary


def _session() -> Session:
    return current_app.extensions["marketmap.db"].session()


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from exc


def _print_report(report) -> None:
    click.echo(f"{report.mode} assignment: {report.rows_changed:,} rows changed, {report.rows_outside:,} outside")
    for t in report.tables:
        click.echo(f"  {t.table:<14} changed {t.rows_changed:>9,}  outside {t.outside_count:>7,}  {t.seconds:.1f} s")
        for m in t.moves[:20]:
            click.echo(f"    {m['from_code'] or '(无网格)'} → {m['to_code'] or '(无网格)'}: {m['n']:,}")
        for o in t.outside[:10]:
            click.echo(f"    outside: id {o['id']} ({o['lon']:.6f}, {o['lat']:.6f})")


@click.group("grids", cls=AppGroup)
def grids_group() -> None:
    """Supervision grids (网格): versions, validation, activation, assignment."""


@grids_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--version-name", required=True, help="Name of the new (inactive) version.")
@click.option("--crs", default=None, help="Override the file's CRS, e.g. EPSG:4544.")
@click.option("--note", default=None)
def grids_import(path: str, version_name: str, crs: str | None, note: str | None) -> None:
    """Load a GeoJSON/Shapefile/GeoPackage of grids as an inactive version."""
    session = _session()
    try:
        result = import_version(session, read_grid_file(path, crs=crs), name=version_name, note=note)
    except GridError as exc:
        _fail(exc)
    session.commit()
    click.echo(f"imported {version_name} (inactive): {result['counts']}")


@grids_group.command("validate")
@click.argument("version", required=False)
@click.option("--json", "as_json", is_flag=True)
def grids_validate(version: str | None, as_json: bool) -> None:
    """Invalid polygons, overlaps and gaps inside the district (default: the newest version)."""
    session = _session()
    name = version or list_versions(session)[-1]["name"]
    try:
        report = validate_version(session, version_id=get_version(session, name)["id"])
    except GridNotFound as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(f"{name}: {'ok' if report.ok else f'{len(report.problems)} problems'}")
        for p in report.problems:
            area = f"{p.area_m2:,.1f} m²" if p.area_m2 is not None else ""
            click.echo(f"  {p.kind:<9} {p.level or '':<9} {p.code or '':<24} {area:>14} "
                       f"({p.lon:.6f}, {p.lat:.6f}) {p.detail}")
    if not report.ok:
        raise SystemExit(1)


@grids_group.command("activate")
@click.argument("version")
def grids_activate(version: str) -> None:
    """Switch to VERSION atomically and reassign everything; prints what moved."""
    session = _session()
    try:
        report = activate(session, version)
    except (GridError, GridNotFound) as exc:
        session.rollback()
        _fail(exc)
    session.commit()
    click.echo(f"{version} is active")
    _print_report(report)


@grids_group.command("assign")
def grids_assign() -> None:
    """Reassign every point to the active version from scratch (writes only what changed)."""
    session = _session()
    version = active_version(session)
    if version is None:
        _fail(GridError("没有启用的网格版本 / no active grid version"))
    report = assign_version(session, version_id=version["id"])
    session.commit()
    _print_report(report)


@grids_group.command("list")
def grids_list() -> None:
    """Grid versions with status and counts."""
    for v in list_versions(_session()):
        click.echo(f"{v['name']:<24} {v['status']:<9} streets {v['streets']:>4} communities {v['communities']:>5} "
                   f"grids {v['grids']:>6}")


@click.group("staff", cls=AppGroup)
def staff_group() -> None:
    """Supervisors and inspectors, and routing rules (grid, category) → person."""


@staff_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def staff_import(path: Path) -> None:
    """Staff from CSV/XLSX, all rows or none: 工号, 姓名, 部门, 角色, 电话, 网格 (as ``marketmap import staff``)."""
    session = _session()
    try:
        result = run_import(session, kind="staff", path=path, commit=True, created_by="cli")
    except ImportRejected as exc:
        _fail(exc)
    if result.rejects:  # a roster is taken whole: nobody is left without their grids by a bad line
        session.rollback()
        _fail(GridError("; ".join(f"第{r['row_no']}行 / row {r['row_no']}: {r['reason_zh']} / {r['reason_en']}"
                                  for r in result.rejects[:20])))
    audit_import(session, result)
    session.commit()
    click.echo(format_summary(result))


@staff_group.command("rules")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def staff_rules(path: str) -> None:
    """Routing rules from CSV/XLSX: grid_code (blank = any), category (blank = any), staff_no."""
    session = _session()
    try:
        result = import_rules(session, read_table(path).to_dict("records"))
    except GridError as exc:
        _fail(exc)
    session.commit()
    click.echo(f"routing rules: {result}")


@click.group("complaints", cls=AppGroup)
def complaints_group() -> None:
    """Complaints (投诉举报)."""


@complaints_group.command("escalate")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def complaints_escalate(today: dt.datetime | None) -> None:
    """Escalate open complaints past their due date (safe to run again)."""
    session = _session()
    try:
        rows = escalate_overdue(session, today=today.date() if today else None)
    except ComplaintError as exc:
        _fail(exc)
    session.commit()
    click.echo(f"escalated {len(rows)} complaints")
    for r in rows:
        click.echo(f"  #{r['id']} grid {r['grid_code'] or '-'} due {r['due_on']}")


commands = [grids_group, staff_group, complaints_group]
