"""Address intelligence for MarketMap: normalise, parse, compare and match Chinese addresses.

Pure Python, no database and no Flask. The dictionaries and the parser model ship in
``address_match/data`` (rebuild with ``python -m address_match.train``).
"""

from .compare import Verdict, compare
from .divisions import Division, Resolution, resolve
from .errors import AddressError
from .fields import Fields, extract
from .library import AddressLibrary, Candidate, Entry
from .normalize import normalize
from .parse import LABELS, Component, parse

__all__ = [
    "LABELS",
    "AddressError",
    "AddressLibrary",
    "Candidate",
    "Component",
    "Division",
    "Entry",
    "Fields",
    "Resolution",
    "Verdict",
    "compare",
    "extract",
    "normalize",
    "parse",
    "resolve",
]
