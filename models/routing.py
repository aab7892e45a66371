"""Routing of complaints to people, the complaint status trail, and grid assignment runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, now_column


class RoutingRule(Base):
    """(grid, category) → responsible person; NULL grid or category means "any" (FixMyStreet-style)."""

    __tablename__ = "routing_rule"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = now_column()

    __table_args__ = (UniqueConstraint("grid_code", "category", postgresql_nulls_not_distinct=True),)


class ComplaintEvent(Base):
    """One step of a complaint's status flow (received → assigned → in_progress → resolved / escalated)."""

    __tablename__ = "complaint_event"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    at: Mapped[dt.datetime] = now_column()
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class GridAssignmentRun(Base):
    """One (re)assignment of entities to grids: what moved from which grid to which, and what lies outside."""

    __tablename__ = "grid_assignment_run"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("grid_version.id", ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # full / incremental
    started_at: Mapped[dt.datetime] = now_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rows_changed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rows_outside: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    report: Mapped[dict | None] = mapped_column(JSONB)
