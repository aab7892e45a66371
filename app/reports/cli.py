"""``marketmap report …``: stand-alone HTML reports. Other reports add subcommands to ``report_group``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.db import get_session


@click.group("report", cls=AppGroup)
def report_group() -> None:
    """Stand-alone HTML reports (work offline)."""


@report_group.command("perimeter")
@click.option("--poi", "poi_id", required=True, type=click.IntRange(min=1), help="POI id (school, kindergarten…)")
@click.option("--radius", "radius_m", default=200.0, show_default=True, type=click.FloatRange(0, 5000, min_open=True),
              help="radius in metres")
@click.option("--categories", default="", help="restricted categories, comma-separated (default: all)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def perimeter_command(poi_id: int, radius_m: float, categories: str, output: Path) -> None:
    """School-perimeter report: the circle, the restricted entities and a table, in one HTML file."""
    from app.reports.perimeter import perimeter_report_html

    names = [c.strip() for c in categories.split(",") if c.strip()] or None
    try:
        page = perimeter_report_html(get_session(), poi_id=poi_id, radius_m=radius_m, categories=names)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_text(page, encoding="utf-8")
    click.echo(f"wrote {output} ({len(page) // 1024} KiB)")


commands = [report_group]
