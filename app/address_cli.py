"""CLI for the address library: batch checks of a file, and geocoding of entities."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session
from tqdm import tqdm

from address_match import AddressError
from address_match.batch import check_row, read_addresses, write_results
from address_match.db import cached_library
from address_match.geocode import RESULTS_TABLE, geocode_enterprises


def _session():
    return current_app.extensions["marketmap.db"].session()


@click.group("address", cls=AppGroup)
def address_group() -> None:
    """Address library (地址库) checks."""


@address_group.command("check")
@click.argument("infile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def address_check(infile: Path, output: Path) -> None:
    """Check every address of INFILE (CSV/XLSX with an address column); one verdict per row."""
    try:
        rows = read_addresses(infile.name, infile.read_bytes())
    except AddressError as exc:
        raise click.ClickException(str(exc)) from exc
    session = _session()
    library = cached_library(session)
    results = []
    for row in tqdm(rows, desc="地址比对", unit="行"):
        results.append(check_row(session, row, library=library))
    with output.open("w", encoding="utf-8-sig", newline="") as fh:
        write_results(fh, results)
    verdicts = {v: sum(r["verdict"] == v for r in results) for v in ("matched", "doubtful", "not_found", "invalid")}
    click.echo(f"{len(results)} rows → {output}: " + ", ".join(f"{k} {n}" for k, n in verdicts.items()))


@click.command("geocode")
@with_appcontext
@click.option("--all", "every", is_flag=True, help="Re-geocode every entity, not only those without a point.")
def geocode(every: bool) -> None:
    """Geocode entities from their registered address through the address library."""
    session = _session()
    with tqdm(desc="地理编码", unit="户") as bar:
        counts = geocode_and_grid(session, every=every, progress=bar.update)
    session.commit()
    click.echo(", ".join(f"{k} {v:,}" for k, v in counts.items()))


def geocode_and_grid(session: Session, *, every: bool = False, progress=None) -> dict:
    """Geocode the entities without a point (``every``: all of them), then put the ones it placed in
    their grid of the active version: the geocoder's counts, and ``gridded``, the rows whose grid it wrote.
    The caller commits."""
    from gridding.assign import assign_rows
    from gridding.versions import active_version

    counts = geocode_enterprises(session, every=every, progress=progress)
    version = active_version(session)
    counts["gridded"] = assign_rows(session, version_id=version["id"], table="enterprise",
                                    ids_sql=f"SELECT id FROM {RESULTS_TABLE}") if version else 0
    return counts


commands = [address_group, geocode]
