"""Declarative base and shared column helpers for the MarketMap schema (no Flask here)."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326  # all geometry is stored in WGS84 (DESIGN.md)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def point() -> Geometry:
    return Geometry("POINT", srid=SRID, spatial_index=True)


def polygon(kind: str = "MULTIPOLYGON") -> Geometry:
    return Geometry(kind, srid=SRID, spatial_index=True)


def now_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
