"""Places: the address library, buildings and their economy, roads, POIs, zones."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, point, polygon


class Building(Base):
    """A building with its footprint; entities and addresses point at it."""

    __tablename__ = "building"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    address_text: Mapped[str | None] = mapped_column(Text)
    use: Mapped[str | None] = mapped_column(String(32))  # office / residential / commercial / industrial
    floors: Mapped[int | None] = mapped_column(Integer)
    height_m: Mapped[float | None] = mapped_column(Numeric(6, 1))
    floor_area_m2: Mapped[float | None] = mapped_column(Numeric(12, 1))
    street_code: Mapped[str | None] = mapped_column(String(12), index=True)
    community_code: Mapped[str | None] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    footprint: Mapped[object] = mapped_column(polygon("POLYGON"))
    geom: Mapped[object] = mapped_column(point())


class BuildingEconomy(Base):
    """Per building and year: output value, employment, tax (amounts in 万元)."""

    __tablename__ = "building_economy"
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    output_value_10k: Mapped[float | None] = mapped_column(Numeric(14, 2))
    employment: Mapped[int | None] = mapped_column(Integer)
    tax_10k: Mapped[float | None] = mapped_column(Numeric(14, 2))
    entity_count: Mapped[int | None] = mapped_column(Integer)


class AddressEntry(Base):
    """The address library (地址库): one standard address with its parsed components."""

    __tablename__ = "address_entry"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    standard_text: Mapped[str] = mapped_column(Text, nullable=False)
    normalized_text: Mapped[str] = mapped_column(Text, nullable=False)
    district: Mapped[str | None] = mapped_column(String(32))
    town: Mapped[str | None] = mapped_column(String(32))
    community: Mapped[str | None] = mapped_column(String(64))
    road: Mapped[str | None] = mapped_column(String(64), index=True)
    road_no: Mapped[str | None] = mapped_column(String(16))
    poi_name: Mapped[str | None] = mapped_column(Text)
    building_no: Mapped[str | None] = mapped_column(String(16))
    unit_no: Mapped[str | None] = mapped_column(String(16))
    floor_no: Mapped[str | None] = mapped_column(String(16))
    room_no: Mapped[str | None] = mapped_column(String(16))
    street_code: Mapped[str | None] = mapped_column(String(12))
    community_code: Mapped[str | None] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    geom: Mapped[object] = mapped_column(point())


class Road(Base):
    __tablename__ = "road"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    kind: Mapped[str | None] = mapped_column(String(8))  # 大道 / 路 / 街 / 巷
    street_code: Mapped[str | None] = mapped_column(String(12))
    geom: Mapped[object] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))


class Poi(Base):
    """Sensitive and notable places: schools, kindergartens, hospitals, venues."""

    __tablename__ = "poi"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    address_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    street_code: Mapped[str | None] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(32), index=True)
    geom: Mapped[object] = mapped_column(point())


class Zone(Base):
    """Special areas: the district outline, the free-trade zone, restricted perimeters."""

    __tablename__ = "zone"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    geom: Mapped[object] = mapped_column(polygon())
