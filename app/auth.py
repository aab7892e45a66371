"""Who is asking, and what their job lets them see: the one place the API, tiles and pages ask.

Roles (DESIGN.md): public (public records only) · registrar (address and registration checks) ·
supervisor (their own grids only, everything in them) · official (whole district) · admin.
Login, sessions and API tokens set ``g.viewer``; without them every request is the public.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g

from app.errors import ApiError

ROLES = ("public", "registrar", "supervisor", "official", "admin")

# Enterprise fields anyone may read (registration and public credit facts, 公示信息).
PUBLIC_ENTERPRISE_FIELDS = frozenset({
    "id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label", "category",
    "status", "established_on", "registered_address", "lon", "lat", "distance_m", "grid_code",
})
# Credit record kinds that are published (penalties, lists, revocation); the rest are staff-only.
PUBLIC_CREDIT_KINDS = frozenset({"penalty", "abnormal_list", "blacklist", "revocation", "court_dishonest"})


@dataclass(frozen=True)
class Viewer:
    role: str = "public"
    username: str | None = None
    grid_codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.role in ("supervisor", "official", "admin")

    def sees_grid(self, grid_code: str | None) -> bool:
        """May this viewer read non-public data of things in this grid?"""
        if self.role in ("official", "admin"):
            return True
        return self.role == "supervisor" and grid_code is not None and grid_code in self.grid_codes

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            status = 401 if self.role == "public" else 403
            raise ApiError(f"需要以下角色之一 / requires one of the roles: {', '.join(roles)}",
                           status=status, code="unauthorized" if status == 401 else "forbidden")


PUBLIC = Viewer()


def current_viewer() -> Viewer:
    return g.get("viewer", PUBLIC)


def enterprise_view(row: dict, viewer: Viewer) -> dict:
    """The enterprise fields this viewer may read: everything in their grids, public fields elsewhere."""
    if viewer.sees_grid(row.get("grid_code")):
        return row
    return {k: v for k, v in row.items() if k in PUBLIC_ENTERPRISE_FIELDS}
