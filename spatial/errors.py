"""Typed errors of the spatial package; app/ maps each to an HTTP status once."""

from __future__ import annotations


class SpatialError(ValueError):
    """Input a spatial function cannot work with (the caller's mistake: HTTP 400)."""

    code = "invalid_input"


class UnknownCategory(SpatialError):
    code = "unknown_category"


class RadiusOutOfRange(SpatialError):
    code = "radius_out_of_range"


class AddressNotMatched(SpatialError):
    """The address library holds nothing close enough to the given address."""

    code = "address_not_matched"


class PlaceNotFound(LookupError):
    """A POI or other place named by id does not exist (HTTP 404)."""

    code = "not_found"
