"""``marketmap import KIND FILE``: department files into the database, rejects back as .xlsx/.csv."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from importer import KINDS, ImportRejected, run_import
from importer.reports import format_summary, write_csv, write_xlsx
from spatial.crs import SYSTEMS


def _bar(name: str, total: int | None):
    return tqdm(desc=name, total=total, unit="行", leave=False)


@click.command("import")
@with_appcontext
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(SYSTEMS, case_sensitive=False), default=None,
              help="Coordinate system of the file's coordinates (required when it has any; never guessed).")
@click.option("--sheet", default=None, help="Worksheet of an .xlsx (needed when several look like data).")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file mapping headers to fields (docs/IMPORT.md).")
@click.option("--commit", is_flag=True, help="Write to the database; without it, a dry run that only reports.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the reject report (.xlsx and .csv); default FILE.rejects.xlsx/.csv.")
def import_command(kind: str, file: Path, crs: str | None, sheet: str | None, mapping_path: Path | None,
                   commit: bool, rejects_path: Path | None) -> None:
    """Import FILE (.xlsx .csv .geojson .shp .gpkg) as KIND; every rejected row goes to the reject report."""
    session = current_app.extensions["marketmap.db"].session()
    try:
        result = run_import(session, kind=kind, path=file, crs=crs, sheet=sheet, mapping_path=mapping_path,
                            commit=commit, created_by="cli", step=_bar)
        audit_import(session, result)
        session.commit()
    except ImportRejected as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(format_summary(result))
    if result.rejects:
        base = rejects_path or file.with_name(file.name + ".rejects")
        write_xlsx(result.rejects, base.with_suffix(".xlsx"))
        write_csv(result.rejects, base.with_suffix(".csv"))
        click.echo(f"退回报告 / reject report: {base.with_suffix('.xlsx')} , {base.with_suffix('.csv')}")
    if not commit:
        click.echo("试运行，未写入数据 / dry run: nothing written (use --commit)")


def audit_import(session, result) -> None:
    """Committed imports go to the audit trail, in the batch's transaction (app.auth.audit)."""
    from app import auth

    if result.status == "committed" and hasattr(auth, "audit"):
        auth.audit("import", object_type="import_batch", object_id=str(result.batch_id),
                   detail={"kind": result.report["kind"], **result.counts}, session=session)


commands = [import_command]
