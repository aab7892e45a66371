"""Supervision work: complaints, double-random inspections, the audit trail, data versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, now_column, point


class Complaint(Base):
    """A hot-line complaint (投诉举报), placed in its grid and assigned to a person."""

    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hotline: Mapped[str] = mapped_column(String(8), nullable=False)  # 12315 / 12345 / 12365 / 12331 / 12358
    received_at: Mapped[dt.datetime] = now_column()
    category: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    address_text: Mapped[str | None] = mapped_column(Text)
    complainant_name: Mapped[str | None] = mapped_column(Text)
    complainant_phone: Mapped[str | None] = mapped_column(String(32))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address_entry.id"))
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    assignee_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="received")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[object | None] = mapped_column(point())


class InspectionPlan(Base):
    """A double-random (双随机) plan: scope, items, departments, ratios per risk class, team size."""

    __tablename__ = "inspection_plan"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[dict] = mapped_column(JSONB, nullable=False)
    items: Mapped[list] = mapped_column(JSONB, nullable=False, server_default="[]")
    departments: Mapped[list] = mapped_column(JSONB, nullable=False, server_default="[]")
    ratios: Mapped[dict] = mapped_column(JSONB, nullable=False)
    team_size: Mapped[int] = mapped_column(Integer, nullable=False, server_default="2")
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="draft")
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = now_column()


class InspectionDraw(Base):
    """One draw of a plan: seed, algorithm version and input snapshot, so it can be re-run."""

    __tablename__ = "inspection_draw"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id"), nullable=False)
    seed_hex: Mapped[str] = mapped_column(String(128), nullable=False)
    algorithm_version: Mapped[str] = mapped_column(String(16), nullable=False)
    snapshot_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    snapshot: Mapped[dict] = mapped_column(JSONB, nullable=False)
    result: Mapped[dict] = mapped_column(JSONB, nullable=False)
    result_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_draw.id"))
    redraw_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = now_column()


class InspectionResult(Base):
    """What an inspection team found at one entity."""

    __tablename__ = "inspection_result"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("inspection_draw.id"), nullable=False)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    items_checked: Mapped[list] = mapped_column(JSONB, nullable=False, server_default="[]")
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_at: Mapped[dt.datetime] = now_column()


class AuditLog(Base):
    """Append-only, hash-chained trail (监管留痕); the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = now_column()
    actor: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSONB)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class DataVersion(Base):
    """A counter per map layer, bumped when its data changes; tile ETags are built from it."""

    __tablename__ = "data_version"
    layer: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")
    updated_at: Mapped[dt.datetime] = now_column()
