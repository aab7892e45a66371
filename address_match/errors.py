"""Typed errors raised by the address library."""


class AddressError(ValueError):
    """Raised for input that cannot be treated as an address (empty, too long, not text)."""
