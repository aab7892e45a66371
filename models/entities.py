"""Market entities (监管对象) and the credit records the risk rules read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, now_column, point


class Enterprise(Base):
    """A market entity (企业/个体户) identified by its USCC (统一社会信用代码)."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    short_name: Mapped[str | None] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(16))  # 企业 / 个体工商户 / 农民专业合作社
    industry_code: Mapped[str | None] = mapped_column(String(8), index=True)  # GB/T 4754
    industry_label: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(16), index=True)  # restricted trade: 网吧, KTV, 酒吧, 游戏厅
    status: Mapped[str] = mapped_column(String(8), nullable=False)  # 存续 / 在业 / 吊销 / 注销 / 迁出
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    registered_capital_10k: Mapped[float | None] = mapped_column(Numeric(14, 2))
    legal_rep: Mapped[str | None] = mapped_column(Text)
    registered_address: Mapped[str | None] = mapped_column(Text)
    operating_address: Mapped[str | None] = mapped_column(Text)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address_entry.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    near_boundary: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    geom: Mapped[object | None] = mapped_column(point())
    geocode_level: Mapped[str | None] = mapped_column(String(16))  # exact / partial / none / source
    geocode_source: Mapped[str | None] = mapped_column(String(32))
    geocode_score: Mapped[float | None] = mapped_column(Numeric(5, 3))
    risk_class: Mapped[str | None] = mapped_column(String(1))  # A / B / C / D (no index: 0010)
    risk_reasons: Mapped[list | None] = mapped_column(JSONB)
    risk_rules_version: Mapped[str | None] = mapped_column(String(32))
    risk_inputs_hash: Mapped[str | None] = mapped_column(String(64))
    risk_updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    __table_args__ = (
        Index("ix_enterprise_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )


# Tables that triggers fill when another is written (migration 0013). Bulk loaders that drop a table's
# indexes for the load drop these tables' too, or the triggers' inserts maintain them row by row.
FILLED_BY_TRIGGERS = {"enterprise": ("enterprise_public_feature",)}


class EnterprisePublicFeature(Base):
    """An entity's public GeoJSON Feature, ready for public radius searches (migration 0013).

    Written only by the triggers on ``enterprise``; never write it from code. ``feature`` ends after the
    last stored property: searches append ``distance_m`` and the closing braces.
    """

    __tablename__ = "enterprise_public_feature"
    id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE", onupdate="CASCADE"),
                                    primary_key=True)
    geom: Mapped[object] = mapped_column(point(), nullable=False)
    category: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    feature: Mapped[str] = mapped_column(Text, nullable=False)


class CreditRecord(Base):
    """One credit fact about an entity: a penalty, a listing, a missing licence or report, a complaint."""

    __tablename__ = "credit_record"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    decided_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)  # moved off a list / record lifted
    amount_yuan: Mapped[float | None] = mapped_column(Numeric(14, 2))
    department: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    document_no: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[dt.datetime] = now_column()
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    __table_args__ = (Index("ix_credit_record_enterprise_kind", "enterprise_id", "kind"),)


class ImportBatch(Base):
    """Every import: what came in, what was accepted, and what went back with a reason."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(Text, nullable=False)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    crs: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # dry_run / running / committed / failed
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rows_inserted: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rows_updated: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rows_unchanged: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    rows_rejected: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    report: Mapped[dict | None] = mapped_column(JSONB)
    created_by: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = now_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ImportReject(Base):
    """A row that an import refused, kept with its original values and the reason."""

    __tablename__ = "import_reject"
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    values: Mapped[dict] = mapped_column(JSONB, nullable=False)
    reason_zh: Mapped[str] = mapped_column(Text, nullable=False)
    reason_en: Mapped[str] = mapped_column(Text, nullable=False)
