"""Who is asking, and what their job lets them see: the one place the API, tiles and pages ask.

Roles (DESIGN.md): public (public records only) · registrar (address and registration checks) ·
supervisor (their own grids only, everything in them) · official (whole district) · admin.
Login sessions and API tokens set ``g.viewer`` (app.security); without them every request is the public.

Authorization is decided here, in two layers:
- ``ROUTE_POLICY``: the least role each endpoint needs, enforced for every request by one
  ``before_request`` hook (app.security). An endpoint missing from the table is staff-only.
- Field filtering for resources that mix public and non-public facts: ``enterprise_view`` and
  ``Viewer.sees_grid``; non-public fields handed to staff are noted and audited once per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, g, has_request_context, request

from app.errors import ApiError

ROLES = ("public", "registrar", "supervisor", "official", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
# An endpoint nobody classified yet: only staff reach it (deny by default), and it is logged.
UNCLASSIFIED_POLICY = "supervisor"

# Enterprise fields anyone may read (registration and public credit facts, 公示信息).
PUBLIC_ENTERPRISE_FIELDS = frozenset({
    "id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label", "category",
    "status", "established_on", "registered_address", "lon", "lat", "distance_m", "grid_code",
})
# Credit record kinds that are published (penalties, lists, revocation); the rest are staff-only.
# Problems found in double-random inspections are published with the results (双随机一公开).
PUBLIC_CREDIT_KINDS = frozenset({"penalty", "abnormal_list", "blacklist", "revocation", "court_dishonest",
                                 "inspection_problem"})

# The least role per Flask endpoint; "endpoint:METHOD" overrides one method. Roles are ordered:
# public < registrar < supervisor < official < admin. tests/test_roles_matrix.py fails for any route
# of app.url_map not listed here, so a new route is classified when it is added.
ROUTE_POLICY: dict[str, str] = {
    # infrastructure and documentation
    "static": "public",
    "home_page.index": "public",
    "health.Health": "public",
    "api-docs.openapi_json": "public",
    "api-docs.openapi_swagger_ui": "public",
    # login, logout and one's own tokens
    "login_page.login": "public",
    "login_page.logout": "public",
    "auth.Me": "public",
    "auth.Tokens": "registrar",
    "auth.Token": "registrar",
    # public registration facts; non-public fields filtered per viewer (enterprise_view / sees_grid)
    "search.RadiusSearch": "public",
    "search.PoiPerimeter": "public",
    "search.Places": "public",
    "search.Locate": "public",
    "search.PoiList": "public",
    "search.Outline": "public",
    "enterprises.EnterpriseDetail": "public",
    "enterprises.RiskSummary": "public",
    "tiles.tile": "public",
    "tiles.layer_tilejson": "public",
    # registrar work: address and registration checks, restricted-trade perimeter lists
    "address.AddressChecks": "registrar",
    "address.AddressChecksBatch": "registrar",
    "address_page.address_check": "registrar",
    "search.RegistrationCheck": "registrar",
    "search.PerimeterReport": "registrar",
    # grids: outlines and people public (phones only for the grid's staff, in the view); versions are staff work
    "grids.Grids": "public",
    "grids.GridLookup": "public",
    "grids.GridOne": "public",
    "grids.GridEnterprises": "public",
    "grid_page.grid_page": "public",
    "grids.GridVersions": "official",
    "grids.GridVersionValidation": "official",
    "grids.GridVersionActivation": "official",
    # complaints: anyone may file one (no cookie, no ambient authority); reading them is grid staff work
    "complaints.Complaints:POST": "public",
    "complaints.Complaints": "supervisor",
    "complaints.ComplaintOne": "supervisor",
    "complaints.ComplaintStatus": "supervisor",
    "open311.Services": "public",
    "open311.Requests": "public",  # POST files a request; GET shows public fields (details for grid staff)
    "open311.RequestOne": "public",
    # the risk map: public attributes for the public, risk classes for staff of the grid
    "map_page.risk_map": "public",
    "perimeter_page.perimeter_page": "public",
    # double-random inspections: the item list and results are published; plans and draws are officials'
    "inspections.Items": "public",
    "inspections.PublicResults": "public",
    "inspections_page.inspections_public": "public",
    "inspections.ScopeOptions": "official",
    "inspections.Plans": "official",
    "inspections.PlanOne": "official",
    "inspections.PlanDraws": "official",
    "inspections.DrawOne": "official",
    "inspections.DrawVerify": "official",
    "inspections.DrawFeatures": "official",
    "inspections.DrawRoutes": "official",
    "inspections.DrawResults": "official",
    "inspections_page.inspections_page": "official",
    # imports of registers and files (batches, reject reports) are officials' work
    "imports.Imports": "official",
    "imports.ImportBatch": "official",
    "imports.ImportRejects": "official",
    # statistics of the whole district (output value, tax, employment per building)
    "economy.Summary": "official",
    "economy.Choropleth": "official",
    "economy.BuildingDetail": "official",
    "economy_page.economy_page": "official",
    # OGC API – Features: public at the route; fields per viewer, complaints staff-only (ogc.collections)
    "ogc.landing": "public",
    "ogc.conformance": "public",
    "ogc.api": "public",
    "ogc.collections": "public",
    "ogc.collection": "public",
    "ogc.queryables": "public",
    "ogc.features": "public",
    "ogc.feature": "public",
}


@dataclass(frozen=True)
class Viewer:
    role: str = "public"
    username: str | None = None
    grid_codes: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in ("supervisor", "official", "admin")

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def at_least(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]

    def sees_grid(self, grid_code: str | None) -> bool:
        """May this viewer read non-public data of things in this grid? A yes is noted for the audit
        trail (the caller is about to hand over non-public data), so views need no audit code of their own."""
        allowed = self.role in ("official", "admin") or (
            self.role == "supervisor" and grid_code is not None and grid_code in self.grid_codes)
        if allowed:
            note_nonpublic_read("grid", grid_code)
        return allowed

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            status = 401 if self.role == "public" else 403
            raise ApiError(f"需要以下角色之一 / requires one of the roles: {', '.join(roles)}",
                           status=status, code="unauthorized" if status == 401 else "forbidden")


PUBLIC = Viewer()


def current_viewer() -> Viewer:
    return g.get("viewer", PUBLIC)


def policy_for(endpoint: str | None, method: str = "GET") -> str | None:
    """The least role for this endpoint and method, or None when nobody classified it."""
    if endpoint is None:
        return None
    return ROUTE_POLICY.get(f"{endpoint}:{method.upper()}") or ROUTE_POLICY.get(endpoint)


def enterprise_view(row: dict, viewer: Viewer) -> dict:
    """The enterprise fields this viewer may read: everything in their grids, public fields elsewhere."""
    if viewer.sees_grid(row.get("grid_code")):
        if set(row) - PUBLIC_ENTERPRISE_FIELDS:
            note_nonpublic_read("enterprise", row.get("uscc") or row.get("id"))
        return row
    return {k: v for k, v in row.items() if k in PUBLIC_ENTERPRISE_FIELDS}


def note_nonpublic_read(object_type: str, object_id) -> None:
    """Remember that this request handed non-public data to its viewer; app.security writes one
    ``read_nonpublic`` audit entry per request listing what was read (tiles, exports, reports call this)."""
    if has_request_context() and current_viewer().signed_in:
        key = f"{object_type}:{'*' if object_id is None else object_id}"
        g.setdefault("nonpublic_reads", {})[key] = None  # a dict keeps first-seen order without repeats


def audit(action: str, *, object_type: str | None = None, object_id=None, detail: dict | None = None,
          session=None) -> int:
    """Append an audit entry as the current viewer from the request's address (imports, classification,
    draws, edits). It is written in ``session`` (default: the request's session) and becomes durable
    with the caller's commit, so the change and its trail land together or not at all."""
    from app.db import get_session
    from supervision.audit import record

    viewer = current_viewer()
    return record(session or get_session(), actor=viewer.username or "public", role=viewer.role, action=action,
                  object_type=object_type, object_id=object_id, detail=detail, remote_addr=remote_addr())


def remote_addr() -> str | None:
    """The client's address (ProxyFix rewrites it when MARKETMAP_BEHIND_PROXY=1)."""
    return request.remote_addr if has_request_context() else None


def login_settings() -> tuple[int, int]:
    """(failures before lock-out, lock-out minutes) from the app config."""
    return (int(current_app.config.get("LOGIN_MAX_FAILURES", 5)),
            int(current_app.config.get("LOGIN_LOCK_MINUTES", 15)))
