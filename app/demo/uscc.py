"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

An 18-character code: registration authority (1) + entity type (1) + area code (6, e.g. 500112)
+ organisation code (9: eight body characters and the GB 11714 check character) + check character.
Characters come from 0-9 and the capitals without I, O, S, V, Z (31 symbols).

>>> make_uscc("9", "1", "500112", "MA5U0000")
'91500112MA5U00003P'
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def _org_value(char: str) -> int:
    """GB 11714 value of a character: digits as such, letters A=10 … Z=35."""
    return int(char) if char.isdigit() else ord(char) - 55


def org_check_char(body: str) -> str:
    """Check character of an 8-character organisation code body (GB 11714): 0-9 or X."""
    total = sum(_org_value(c) * w for c, w in zip(body.upper(), ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC from its first 17 characters (GB 32100-2015)."""
    first17 = first17.upper()
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError(f"need 17 characters of {ALPHABET}, got {first17!r}")
    total = sum(_VALUE[c] * int(w) for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: object, *, check_org_code: bool = False) -> bool:
    """True when ``code`` is 18 valid characters whose last one is the right check character.

    ``check_org_code=True`` also checks the embedded GB 11714 organisation code (characters 9–17);
    some real registers hold codes that fail it, so it is off by default.
    """
    if not isinstance(code, str) or len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    if uscc_check_char(code[:17]) != code[17]:
        return False
    return not check_org_code or org_check_char(code[8:16]) == code[16]


def make_uscc(authority: str, entity_type: str, area_code: str, org_body: str) -> str:
    """Assemble a valid USCC from its parts; ``org_body`` is the 8-character organisation code body."""
    first17 = f"{authority}{entity_type}{area_code}{org_body}{org_check_char(org_body)}"
    return first17 + uscc_check_char(first17)


def _as_bytes(strings: np.ndarray, width: int) -> np.ndarray:
    """Equal-length ASCII strings → an (n, width) array of byte values."""
    return np.frombuffer("".join(strings).encode("ascii"), dtype=np.uint8).reshape(len(strings), width)


def _lookup(values: dict[str, int]) -> np.ndarray:
    table = np.zeros(128, dtype=np.int64)
    for char, value in values.items():
        table[ord(char)] = value
    return table


_USCC_TABLE = _lookup(_VALUE)
_ORG_TABLE = _lookup({c: _org_value(c) for c in ALPHABET})


def make_usccs(prefixes: np.ndarray, area_code: str, org_bodies: np.ndarray) -> np.ndarray:
    """Vectorised :func:`make_uscc`: ``prefixes`` are authority+type pairs such as "91" or "92"."""
    org_check = 11 - (_ORG_TABLE[_as_bytes(org_bodies, 8)] @ ORG_WEIGHTS) % 11
    org_char = np.where(org_check == 10, "X", np.where(org_check == 11, "0", org_check.astype(str)))
    first17 = np.char.add(np.char.add(np.char.add(prefixes.astype(str), area_code), org_bodies.astype(str)), org_char)
    check = (31 - (_USCC_TABLE[_as_bytes(first17, 17)] @ WEIGHTS) % 31) % 31
    return np.char.add(first17, np.array(list(ALPHABET))[check]).astype(object)


def random_org_bodies(rng: np.random.Generator, n: int, *, new_share: float = 0.8) -> np.ndarray:
    """``n`` distinct organisation code bodies: "MA5…" style for newer entities, 8 digits for older ones."""
    symbols = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
    bodies = np.empty(0, dtype="<U8")
    while len(bodies) < n:
        m = int((n - len(bodies)) * 1.05) + 16
        tail = symbols[rng.integers(0, 31, (m, 5))].tobytes().decode("ascii")
        tails = np.array([tail[i:i + 5] for i in range(0, 5 * m, 5)])
        digits = np.char.zfill(rng.integers(0, 10**8, m).astype(str), 8)
        head = np.where(rng.random(m) < 0.5, "MA5", "MA6")
        cand = np.where(rng.random(m) < new_share, np.char.add(head, tails), digits)
        merged = np.concatenate([bodies, cand])
        _, first = np.unique(merged, return_index=True)
        bodies = merged[np.sort(first)]
    return bodies[:n].astype(object)
