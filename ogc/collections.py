"""The collections OGC API – Features serves: table, id, geometry, fields per audience, time column.

This registry is the only source of SQL identifiers in the OGC layer: a property, sort key or filter
names a field here or is refused. ``public_fields`` are what anyone reads (for enterprises exactly the
registration facts of app.auth.PUBLIC_ENTERPRISE_FIELDS); ``staff_fields`` are added for staff who
may see the row (officials everywhere, supervisors in their own grids, ``grid_column``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, Table, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from models.entities import Enterprise
from models.grids import Grid, GridVersion
from models.places import Building, Poi, Zone
from models.work import Complaint

FULL_ROLES = frozenset({"official", "admin"})  # whole district
STAFF_ROLES = frozenset({"supervisor", "official", "admin"})


@dataclass(frozen=True)
class Access:
    """What the caller's job lets them read (built by app/ogc.py from app.auth's viewer)."""

    role: str = "public"
    grid_codes: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def full(self) -> bool:
        return self.role in FULL_ROLES


PUBLIC_ACCESS = Access()


@dataclass(frozen=True)
class Collection:
    id: str
    title_zh: str
    title_en: str
    table: Table
    geometry_column: str
    geometry_type: str  # point / polygon / multipolygon (for queryables' geometry format)
    public_fields: tuple[str, ...]
    staff_fields: tuple[str, ...] = ()
    id_column: str = "id"
    temporal_column: str | None = None
    grid_column: str | None = None
    staff_only: bool = False  # the whole collection is non-public (complaints)
    fixed_where: tuple = field(default=(), compare=False)  # conditions every query carries

    def column(self, name: str) -> ColumnElement:
        return self.table.c[name]

    @property
    def geometry(self) -> ColumnElement:
        return self.table.c[self.geometry_column]

    def fields_for(self, access: Access) -> tuple[str, ...]:
        """Every field this caller may read in at least some rows (what the schema lists)."""
        return self.public_fields + self.staff_fields if access.is_staff else self.public_fields

    def queryables_for(self, access: Access) -> dict[str, str]:
        """Fields this caller may filter and sort on → JSON Schema type. Supervisors get the public
        fields only: a filter on a staff field would reveal it for rows outside their grids."""
        every_row = access.full or (access.is_staff and (self.grid_column is None or self.staff_only))
        names = self.public_fields + self.staff_fields if every_row else self.public_fields
        types = {name: json_type(self.table.c[name]) for name in names}
        return {name: kind for name, kind in types.items() if kind is not None}

    def row_scope(self, access: Access) -> list[ColumnElement]:
        """Rows a staff-only collection shows: a supervisor's own grids, everything for officials."""
        if not self.staff_only or access.full or self.grid_column is None:
            return list(self.fixed_where)
        return [*self.fixed_where, self.table.c[self.grid_column].in_(sorted(access.grid_codes) or [""])]


def json_type(column: ColumnElement) -> str | None:
    """The JSON Schema type (or format) of a column; None for JSON documents, which are not queryable."""
    kind = column.type
    if isinstance(kind, JSONB):
        return None
    for sql_type, name in ((Boolean, "boolean"), (DateTime, "date-time"), (Date, "date"),
                           (Integer, "integer"), (Numeric, "number")):
        if isinstance(kind, sql_type):
            return name
    return "string"


_ACTIVE_VERSION = Grid.__table__.c.version_id == select(GridVersion.id).where(
    GridVersion.status == "active").scalar_subquery()

COLLECTIONS: dict[str, Collection] = {c.id: c for c in (
    Collection(
        "enterprises", "市场主体", "Market entities", Enterprise.__table__, "geom", "point",
        public_fields=("uscc", "name", "short_name", "entity_type", "industry_code", "industry_label", "category",
                       "status", "established_on", "registered_address", "grid_code"),
        staff_fields=("legal_rep", "operating_address", "registered_capital_10k", "building_id", "geocode_level",
                      "geocode_source", "risk_class", "risk_reasons", "near_boundary"),
        temporal_column="established_on", grid_column="grid_code"),
    Collection(
        "grids", "监管网格（现行版本）", "Supervision grids (active version)", Grid.__table__, "geom", "multipolygon",
        public_fields=("code", "name", "level", "parent_code", "area_m2"), fixed_where=(_ACTIVE_VERSION,)),
    Collection(
        "buildings", "楼宇", "Buildings", Building.__table__, "footprint", "polygon",
        public_fields=("name", "address_text", "use", "floors", "height_m", "floor_area_m2", "street_code",
                       "community_code", "grid_code")),
    Collection(
        "pois", "敏感场所与兴趣点", "Sensitive places and POIs", Poi.__table__, "geom", "point",
        public_fields=("kind", "name", "address_text", "source", "street_code", "grid_code")),
    Collection(
        "zones", "特殊区域", "Special zones", Zone.__table__, "geom", "multipolygon",
        public_fields=("kind", "code", "name")),
    Collection(
        # Complainants' names and phones are never served here: a map layer has no need of them.
        "complaints", "投诉举报", "Complaints (staff only)", Complaint.__table__, "geom", "point",
        public_fields=(),
        staff_fields=("hotline", "received_at", "category", "text", "address_text", "enterprise_id", "grid_code",
                      "status", "due_on", "resolved_at"),
        temporal_column="received_at", grid_column="grid_code", staff_only=True),
)}


def visible(access: Access) -> list[Collection]:
    """The collections this caller may list (complaints only for staff)."""
    return [c for c in COLLECTIONS.values() if access.is_staff or not c.staff_only]


def get(collection_id: str) -> Collection:
    """The collection by id, or NotFound (callers check ``staff_only`` against their viewer)."""
    from ogc.errors import NotFound

    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"没有这个图层 / no such collection: {collection_id}")
    return found
