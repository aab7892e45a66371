"""Pairwise features of two addresses, for the learned relation scorer (``scorer``).

Every feature is a short categorical token ("road=eq", "sufb=4|2", "bo=店"…): per-field
agreement from district to building (equal / one inside the other / same head number /
edit-similarity bucket / only one side has it), how much of one side's name the other text
holds (its character pairs), the longest tail of each text found in the other (POI names sit at
the end), whether a road named on one side appears anywhere in the other text, the characters
of a small vocabulary that only one side has (层, 栋, 门, 公…: what the finer side adds), a few
conjunctions, and two whole-text measures (``_text_tokens``): the share of each text's character
pairs the other lacks, and how each text ends. Tokens keep inference a handful of dict look-ups
(see ``scorer``).

What depends on one text only is computed once per text (``side``) and cached by the caller.
The set was chosen by cross-validation on the training half; all but the whole-text tokens came
at no cost in compare speed, which those take from about 28,000 to 24,000 pairs a second.
"""

from __future__ import annotations

import re
from collections import namedtuple
from operator import add

from rapidfuzz import fuzz

from .fields import Fields

FIELDS = Fields._fields
_NUMBERS = frozenset(("roadno", "building", "unit", "floor", "room"))


class Side(namedtuple("Side", (*FIELDS, "norm", "name_pairs", "letters"))):
    """What the pair features need from one address, computed once per text: its fields
    (``Fields``, by name or position), then ``norm``, the normalised text; ``name_pairs``, the
    adjacent character pairs of the name; ``letters``, the distinct characters of ``norm`` in
    the scorer's vocabulary (see ``letter_filter``).

    One flat tuple of strings, with no ``Fields`` and no sets inside: a cache holds tens of
    thousands of these, and a named tuple or a set stays tracked by the cyclic garbage collector
    (a plain tuple of strings drops out), so each one kept brings its full passes sooner: one
    tracked object per text instead of two halves them."""

    __slots__ = ()

    @property
    def fields(self) -> Fields:
        """The fields as ``extract`` gives them."""
        return Fields._make(self[:_N_FIELDS])


_N_FIELDS = len(FIELDS)


def letter_filter(letters: str = "") -> re.Pattern:
    """What ``side`` removes from a text to keep its vocabulary characters: everything but
    ``letters``, or only the digits when ``letters`` is empty (training, before it picks them)."""
    return re.compile(f"[^{re.escape(letters)}]+" if letters else "[0-9]+")


_DIGITS_ONLY = letter_filter()


def side(fields: Fields, norm: str, letters: re.Pattern = _DIGITS_ONLY) -> Side:
    """The per-text part of the features, for extracted ``fields`` of normalised text ``norm``;
    ``letters`` (a ``letter_filter``) picks the characters kept in ``Side.letters``."""
    name = fields.name
    return Side._make((*fields, norm, tuple(map(add, name, name[1:])), "".join(dict.fromkeys(letters.sub("", norm)))))


def field_relation(name: str, x: str, y: str) -> str:
    """Relation of one field on both sides: nn / a / b / eq / in / head / ne / r0..r3."""
    if not x or not y:
        return "nn" if not x and not y else ("a" if x else "b")
    if x == y:
        return "eq"
    if name in _NUMBERS:
        return "head" if x.split("-")[0] == y.split("-")[0] else "ne"
    if x in y or y in x:
        return "in"
    return f"r{int(fuzz.ratio(x, y, processor=None) // 25.01)}"


# The fields with a relation token from ``field_relation`` (unit, floor and room added nothing in
# cross-validation; the name has its own, ``_name_token``): the ready-made tokens of the common
# cases (both empty, equal, only one side), those of the rest by relation, and where the field is.
RELATED = ("district", "town", "road", "roadno", "building")
_RELATIONS = ("nn", "a", "b", "eq", "in", "head", "ne", "r0", "r1", "r2", "r3")
_FIELD_TOKENS = tuple((f"{name}=nn", f"{name}=eq", f"{name}=a", f"{name}=b",
                       {rel: f"{name}={rel}" for rel in _RELATIONS}, name, FIELDS.index(name)) for name in RELATED)


def field_relations(fa: Fields | Side, fb: Fields | Side) -> list[str]:
    """The ``field_relation`` token ("road=eq"…) of each field in ``RELATED``, in that order."""
    out = []
    for nn, eq, only_a, only_b, token_of, name, i in _FIELD_TOKENS:
        x, y = fa[i], fb[i]
        if x == y:
            out.append(eq if x else nn)
        elif not y:
            out.append(only_a)
        elif not x:
            out.append(only_b)
        else:
            out.append(token_of[field_relation(name, x, y)])
    return out


def _name_token(a: Side, b: Side, found: int) -> str:
    """The names' relation as ``field_relation`` gives it, except that two different names are
    compared by the share of character pairs they have in common (``found`` of ``a``'s are in
    ``b``'s name), in quarters: as good as an edit ratio in cross-validation, and free here."""
    x, y = a.name, b.name
    if not x or not y:
        return "name=nn" if x == y else ("name=a" if x else "name=b")
    if x == y:
        return "name=eq"
    if x in y or y in x:
        return "name=in"
    return _NAME_SHARES[4 * found // max(len(a.name_pairs), len(b.name_pairs), 1)]


def _run(x: Side, other: str, words: tuple[str, ...]) -> str:
    """How much of ``x``'s name the other text holds, as one of ``words`` (``_A_RUN``/``_B_RUN``):
    "all", or the share of its character pairs in quarters ("-" for names under two characters)."""
    name = x.name
    if len(name) < 2:
        return words[_RUN_NONE]
    if name in other:
        return words[_RUN_ALL]
    return words[4 * sum(map(other.__contains__, x.name_pairs)) // len(x.name_pairs)]


# Tokens made once, not per pair: building a string and hashing it for the weight look-up is a
# good part of a pair's cost.
_NAME_SHARES = tuple(f"name=s{q}" for q in range(5))
_RUN_ALL, _RUN_NONE = 5, 6
_A_RUN, _B_RUN = (tuple(f"{side}_run={q}" for q in ("0", "1", "2", "3", "4", "all", "-")) for side in "ab")
_LENGTHS = ("0", "1", "2", "3", "4", "5", "6-7", "6-7", "8+")
_SUF_A, _SUF_B = (tuple(f"suf{side}={n}" for n in _LENGTHS) for side in "ab")


def tail_inside(x: str, y: str) -> int:
    """Length of the longest tail of ``x`` that occurs in ``y`` (POI names sit at the end of a
    text; counted up one character at a time: half the tails are empty and most are short)."""
    n, longest = 0, len(x)
    while n < longest and x[-n - 1 :] in y:
        n += 1
    return n


def pair_tokens(a: Side, b: Side) -> list[str]:
    """All feature tokens of one pair of sides (see ``side``): field relations, how much of each
    name and text tail the other text holds, how many name pairs the names share (up to 6),
    whether each road appears in the other text (AMap candidates often give it only inside
    "X与Y交叉口"), the vocabulary characters only one side has, a few conjunctions, and the
    whole-text tokens of ``_text_tokens``."""
    na, nb = a.norm, b.norm
    tokens = field_relations(a, b)
    road, no, bld = tokens[2], tokens[3], tokens[4]
    found = sum(map(b.name.__contains__, a.name_pairs))
    shared = min(found, 6)
    la, lb = a.letters, b.letters
    tokens += ["bo=" + c for c in lb if c not in la]
    tokens += ["ao=" + c for c in la if c not in lb]
    run_a, run_b = _run(a, nb, _A_RUN), _run(b, na, _B_RUN)
    tail_b, tail_a = tail_inside(nb, na), tail_inside(na, nb)
    suf_b, suf_a = _SUF_B[min(tail_b, 8)], _SUF_A[min(tail_a, 8)]
    tokens += [_name_token(a, b, found), f"{suf_b}|{4 * tail_b // len(nb)}", f"{suf_a}|{4 * tail_a // len(na)}",
               f"{suf_b}|{suf_a}", run_a, run_b, f"{run_a}|{no}", f"{run_b}|{no}", _SHARED[shared],
               _ROAD_IN_B[a.road in nb] if a.road else "ra_in_b=-",
               _ROAD_IN_A[b.road in na] if b.road else "rb_in_a=-", f"{road}|{no}", f"{no}|{bld}",
               f"nbg={shared}|{bld}", f"nbg={shared}|{road}"]
    tokens += _text_tokens(a, b, run_a, run_b)
    return tokens


def _text_tokens(a: Side, b: Side, run_a: str, run_b: str) -> list[str]:
    """Whole-text tokens: the share of each text's character pairs that the other text lacks
    (in quarters, each side and both), and how each text ends (last character, and the
    candidate's last two, also with how much of each name the other text holds): the ending
    says what kind of place a candidate is (店, 村, 栋, 口…). Together +0.006 in cross-validation
    by query on the even half (0.769 -> 0.775, mean of three fold assignments); either alone,
    bigrams that only one side has (from a vocabulary of 50-520, side- and field-tagged),
    shared bigrams, edit ratios, longest common subsequence or partial_ratio buckets added at
    most +0.004.

    The pairs are counted with repeats, from the shorter text only (a pair of it found in the
    longer text is one the two share, whichever side asks): counting distinct pairs of both
    texts, cached per text, scored the same but cost twice as much (11 µs a pair instead of
    about 6 for these tokens, the tuple each text kept in the cache included)."""
    na, nb = a.norm, b.norm
    short, long = (na, nb) if len(na) <= len(nb) else (nb, na)
    shared = sum(map(long.__contains__, map(add, short, short[1:])))
    qa, qb = _unshared(len(na) - 1, shared), _unshared(len(nb) - 1, shared)
    end = nb[-1]
    return [_UA_Q[qa], _UB_Q[qb], _UQ[qa][qb], "bend=" + end, "aend=" + na[-1], "bend2=" + nb[-2:],
            f"bend={end}|{run_b}", f"bend={end}|{run_a}"]


def _unshared(pairs: int, shared: int) -> int:
    """The share of a text's ``pairs`` character pairs not among the ``shared`` ones, in quarters."""
    return 4 * (pairs - min(shared, pairs)) // max(pairs, 1)


_SHARED = tuple(f"nbg_n={n}" for n in range(7))
_ROAD_IN_B, _ROAD_IN_A = ("ra_in_b=0", "ra_in_b=1"), ("rb_in_a=0", "rb_in_a=1")
_UA_Q, _UB_Q = (tuple(f"u{side}_q={q}" for q in range(5)) for side in "ab")
_UQ = tuple(tuple(f"uq={qa}|{qb}" for qb in range(5)) for qa in range(5))
