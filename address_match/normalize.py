"""Address text normalisation: one canonical spelling per address.

``normalize`` folds full-width forms, Traditional characters, Chinese numerals, unit words,
punctuation and spacing, and spells a leading division chain in full (重庆渝北 → 重庆市渝北区),
so that two ways of writing one address become the same string. It is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from .divisions import gazetteer
from .errors import AddressError
from .numerals import convert_numerals, road_ordinals_to_chinese

MAX_LEN = 500
_SPACES = re.compile(r"\s+")
_HASH = re.compile(r"(?<=[0-9A-Z])#")
_DASHES = re.compile(r"[‐‑‒–—―~～_]+")
# A character class finds one in a CJK string several times faster than a set does (which
# makes a string object of every character it looks up).
_DASH_CHAR = re.compile("[" + re.escape("‐‑‒–—―~～_-") + "]")
_KEEP_DASH = re.compile(r"(?<=[0-9A-Z])-+(?=[0-9A-Z])")
_PUNCT = re.compile(r"[^0-9A-Z\u3400-\u9fff\U00020000-\U0002ffff\x00]")
_ALIASES = (("街道办事处", "街道"), ("社区居民委员会", "社区"), ("村民委员会", "村"),
            ("居民委员会", "社区"), ("社区居委会", "社区"), ("村委会", "村"))
# Unit words after a number, in one pass: 号楼/幢/座 (and 楼 before a unit number) → 栋, 楼/F → 层, 房/户 → 室.
_UNIT_WORD = re.compile(r"(?P<building>(?<=[0-9A-Z])(?:号楼|幢楼|座楼|栋楼|幢|座)|(?<=[0-9A-Z])楼(?=[0-9]+单元))"
                        r"|(?P<floor>(?<=[0-9])(?:楼|F)(?!盘))|(?P<room>(?<=[0-9])(?:房|户))")
# Where ``_UNIT_WORD`` could match (a cheap scan that rules out four texts in five).
_UNIT_WORD_AT = re.compile(r"[0-9A-Z](?:号楼|栋楼|[幢座楼F房户])")
_UNIT_OF = {"building": "栋", "floor": "层", "room": "室"}
_PREFIX_LEVELS = ("prov", "city", "district")
_LETTER_ZERO = re.compile(r"(?<=[一二三四五六七八九十零])O+(?=[一二三四五六七八九零]|[弄号室栋层])")
# After a short division name, what makes it the head of a street, town or estate name instead
# (南京东路, 仙桃街道, 福安街, 中山二路): such a short name is not spelt in full.
_PLACE_AFTER = re.compile(r"[东南西北中]?[一二三四五六七八九十0-9]{0,3}"
                          r"(?:大道|大街|街道|街|路|道|巷|胡同|镇|乡|村|社区|里|弄|桥|广场|花园|小区|新村|新城)")
# (level word as written after a short name, last character of its full name): how divisions are
# renamed (county → district or city, city → district), never back (南城区 is no 南城县).
_RENAMED = frozenset({("县", "区"), ("县", "市"), ("县", "县"), ("市", "区"), ("市", "市"), ("区", "区")})


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Character table Traditional (incl. Hong Kong variants) → Simplified, from OpenCC's data."""
    folder = resources.files("opencc") / "dictionary"
    ts = _read_pairs(folder / "TSCharacters.txt")
    table = {ord(k): v for k, v in ts.items()}
    for variant, standard in _read_pairs(folder / "HKVariantsRev.txt").items():
        if len(variant) == 1 and ord(variant) not in table:
            table[ord(variant)] = ts.get(standard, standard)
    return table


@lru_cache(maxsize=1)
def _traditional() -> re.Pattern:
    """Any character that ``_t2s_table`` might change: most text has none, and finding that out
    is several times cheaper than ``str.translate`` looking up every character. Characters
    beyond the BMP are all in (a class listing them one by one is searched linearly)."""
    chars = "".join(sorted(chr(k) for k, v in _t2s_table().items() if v != chr(k) and k <= 0xFFFF))
    return re.compile(f"[{re.escape(chars)}\U00010000-\U0010ffff]")


def _read_pairs(path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            pairs[parts[0]] = parts[1].split(" ")[0]
    return pairs


def check_text(text: object) -> str:
    """Validate raw input: a non-empty string of at most 500 characters."""
    if not isinstance(text, str):
        raise AddressError(f"address must be a string, not {type(text).__name__}")
    if not text.strip():
        raise AddressError("address is empty")
    if len(text) > MAX_LEN:
        raise AddressError(f"address is longer than {MAX_LEN} characters ({len(text)})")
    return text


def fold_chars(text: str) -> str:
    """Full-width → half-width, Traditional → Simplified, upper-case Latin, 〇 (and O among
    Chinese numerals) → 零; length-preserving for CJK text (NFKC may expand rare compatibility
    characters)."""
    text = unicodedata.normalize("NFKC", text)
    if "〇" in text:  # the numeral zero (U+3007) is no CJK ideograph: punctuation removal would drop it
        text = text.replace("〇", "零")
    if _traditional().search(text):
        text = text.translate(_t2s_table())
    text = text.upper()
    if "O" in text:  # the letter O written for a zero inside a Chinese numeral (一九OO弄)
        text = _LETTER_ZERO.sub(lambda m: "零" * len(m.group()), text)
    return text


def normalize(text: str) -> str:
    """Canonical form of an address string.

    >>> normalize("重慶渝北區龍溪街道 新牌坊二路一百二十三號三號樓5F")
    '重庆市渝北区龙溪街道新牌坊二路123号3栋5层'

    Raises AddressError for empty input or input longer than 500 characters.
    """
    return _normalize_cached(check_text(text))


def normalize_uncached(text: str) -> str:
    """``normalize`` past its cache, for callers that keep their own (``compare.prepared``):
    filling two caches with each text would cost time and memory for nothing."""
    return _normalize_cached.__wrapped__(check_text(text))


@lru_cache(maxsize=65536)
def _normalize_cached(text: str) -> str:
    text = _strip_punctuation(fold_chars(text))
    if "委" in text or "办事处" in text:  # in every alias; most text has none
        for old, new in _ALIASES:
            text = text.replace(old, new)
    text = road_ordinals_to_chinese(_numbers_outside_names(text))
    if _UNIT_WORD_AT.search(text):
        text = _UNIT_WORD.sub(_unit_of, text)
    return expand_division_prefix(text)


def _unit_of(match: re.Match) -> str:
    return _UNIT_OF[match.lastgroup]


def _strip_punctuation(text: str) -> str:
    # ``_PUNCT`` drops spaces too: they need removing first only where # or a dash must see
    # the characters on either side.
    if "#" in text or _DASH_CHAR.search(text):
        text = _SPACES.sub("", text)
        if "#" in text:
            text = _HASH.sub("号", text)
        if _DASH_CHAR.search(text):
            text = _KEEP_DASH.sub("\x00", _DASHES.sub("-", text))
    return _PUNCT.sub("", text).replace("\x00", "-")


def _numbers_outside_names(text: str) -> str:
    """``convert_numerals``, except inside the division names that hold a numeral before a unit
    word (二七区, 七号镇, 三栋镇, 九百户镇: 101 of them), which stay as the gazetteer spells them."""
    converted = convert_numerals(text)
    if converted == text or not (m := _numeral_names().search(text)):
        return converted
    return _numbers_outside_names(text[: m.start()]) + m.group() + _numbers_outside_names(text[m.end() :])


@lru_cache(maxsize=1)
def _numeral_names() -> re.Pattern:
    names = sorted((n for n in gazetteer().full if convert_numerals(n) != n), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)) or "(?!)")


def expand_division_prefix(text: str) -> str:
    """Spell the leading province/city/district names in full where the short form is
    unambiguous and another division name follows or precedes it (重庆渝北 → 重庆市渝北区;
    南京路 stays, and so does 南京东路 after 上海市黄浦区). The chain only goes down, province to
    city to district: a name no finer than the one before it (金牛 after 六合区, in 六合区金牛湖街道)
    begins something else and ends the chain."""
    table, heads = _prefix_table()
    if text[:2] not in heads:  # most text that starts with no division name
        return text
    i, parts, depth = 0, [], -1
    while i < len(text):
        hit = _prefix_hit(table, heads, text, i)
        if hit is None:
            break
        end, (full, after, finest) = hit
        if finest <= depth or (full is not None and _PLACE_AFTER.match(text, end)):
            break  # a street, town or estate named after a division (南京东路), not the division
        if full is not None and (text[end : end + 1], full[-1]) in _RENAMED:
            end += 1  # a former name (溧水县, 奉化市: districts now) is written as the current one
        if full is None or not (depth >= 0 or _prefix_hit(table, heads, text, end)):
            full = text[i:end]
        parts.append(full)
        depth, i = after, end
    return "".join(parts) + text[i:]


def _prefix_hit(table: dict[str, tuple[str | None, int, int]], heads: dict[str, tuple[int, ...]], text: str,
                i: int) -> tuple[int, tuple[str | None, int, int]] | None:
    """(end, ``_prefix_table`` entry) of the division name at ``i``."""
    for n in heads.get(text[i : i + 2], ()):
        if i + n <= len(text) and text[i : i + n] in table:
            return i + n, table[text[i : i + n]]
    return None


@lru_cache(maxsize=1)
def _prefix_table() -> tuple[dict[str, tuple[str | None, int, int]], dict[str, tuple[int, ...]]]:
    """Province/city/district names → (full name to write, None to keep it as written; the level
    the chain has reached after it, and the finest level it can name: indexes of ``_PREFIX_LEVELS``),
    and for each 2-character head the lengths of the names it starts, longest first. A name written
    in full, or a short one of one place, is as fine as it can be (东莞市, a city and a county at
    once, takes no district after it); a short one of several places (河北: 河北省 or 河北区) only as
    fine as its coarsest reading, so 河北保定 still becomes 河北保定市."""
    gaz, table = gazetteer(), {}
    for name, divs in gaz.full.items():
        if levels := [_PREFIX_LEVELS.index(d.level) for d in divs if d.level in _PREFIX_LEVELS]:
            table[name] = (None, max(levels), max(levels))
    for name, divs in gaz.short.items():
        if levels := [_PREFIX_LEVELS.index(d.level) for d in divs if d.level in _PREFIX_LEVELS]:
            names = {d.name for d in divs if d.level in _PREFIX_LEVELS}
            full = names.pop() if len(names) == 1 else None
            table[name] = (full, max(levels) if full else min(levels), max(levels))
    lengths: dict[str, set[int]] = {}
    for name in table:
        lengths.setdefault(name[:2], set()).add(len(name))
    return table, {head: tuple(sorted(ns, reverse=True)) for head, ns in lengths.items()}
