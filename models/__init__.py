"""MarketMap's database schema (SQLAlchemy 2.0, GeoAlchemy2). Imports no Flask."""

from models.base import SRID, Base
from models.db import make_engine, make_sessionmaker
from models.entities import CreditRecord, Enterprise, EnterprisePublicFeature, ImportBatch, ImportReject
from models.grids import Grid, GridVersion, Staff
from models.places import AddressEntry, Building, BuildingEconomy, Poi, Road, Zone
from models.routing import ComplaintEvent, GridAssignmentRun, RoutingRule  # noqa: F401
from models.users import ApiToken, AppUser  # noqa: F401
from models.work import AuditLog, Complaint, DataVersion, InspectionDraw, InspectionPlan, InspectionResult

__all__ = [
    "SRID", "AddressEntry", "AuditLog", "Base", "Building", "BuildingEconomy", "Complaint", "CreditRecord",
    "DataVersion", "Enterprise", "EnterprisePublicFeature", "Grid", "GridVersion", "ImportBatch", "ImportReject", "InspectionDraw",
    "InspectionPlan", "InspectionResult", "Poi", "Road", "Staff", "Zone", "make_engine", "make_sessionmaker",
]
