"""Typed errors of the gridding package; app/ maps them to HTTP 400/404 once."""


class GridError(ValueError):
    """A grid file, version or code the caller must fix (bad file, unknown grid, failed validation)."""


class GridNotFound(LookupError):
    """No grid or grid version of that code/name."""


class ComplaintError(ValueError):
    """A complaint the caller must fix: unknown hot-line or category, no place, a bad status change."""


class ComplaintNotFound(LookupError):
    """No complaint with that id."""
