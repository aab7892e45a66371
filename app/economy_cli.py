"""CLI for building economy: refresh the aggregate views."""

import time

import click
from flask import current_app
from flask.cli import AppGroup

import economy


@click.group("economy", cls=AppGroup)
def economy_group() -> None:
    """Building economy (楼宇经济)."""


@economy_group.command("refresh")
def economy_refresh() -> None:
    """Recompute the building/grid/street economy views."""
    session = current_app.extensions["marketmap.db"].session()
    started = time.perf_counter()
    economy.refresh(session)
    session.commit()
    click.echo(f"economy views refreshed in {time.perf_counter() - started:.1f} s")


commands = [economy_group]
