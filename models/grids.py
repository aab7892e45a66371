"""Supervision grids (网格) in versions, and the people who look after them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, now_column, polygon


class GridVersion(Base):
    """A generation of grids: loaded inactive, validated, then activated (one active at a time)."""

    __tablename__ = "grid_version"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="inactive")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = now_column()
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Grid(Base):
    """A street, community or base grid of one version; codes nest street → community → grid."""

    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("grid_version.id", ondelete="CASCADE"), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)  # street / community / grid
    parent_code: Mapped[str | None] = mapped_column(String(32))
    area_m2: Mapped[float | None] = mapped_column(Numeric(14, 1))
    geom: Mapped[object] = mapped_column(polygon())

    __table_args__ = (UniqueConstraint("version_id", "code"),)


class Staff(Base):
    """Supervisors and inspectors with their department and grids."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    department: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # supervisor / inspector / official
    phone: Mapped[str | None] = mapped_column(String(32))
    grid_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
