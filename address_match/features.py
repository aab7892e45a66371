"""Per-character dictionary, digit-run, affix and lexicon features for the address tagger
(shared by training and tagging; the networks embed the characters themselves)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from importlib import resources

from .divisions import find_all
from .normalize import _t2s_table

_RUN = re.compile(r"[0-9A-Za-z]+")
AFFIX_FILE = "parser_affixes.json"
LEXICON_FILE = "parser_lexicon.json"
LEXICON_LABELS = frozenset(("poi", "subpoi", "community", "road", "subroad", "devzone", "person", "assist",
                            "redundant"))
LEXICON_FOLDS = 5
LEXICON_MIN_COUNT = 2
_LEX_MAX = 8
_LANDMARKS = set("省市区县镇乡村街道路巷弄号栋幢楼单元层室苑园城厦场店司院校馆社组期座")
_HAN_NUMERALS = set("零〇一二三四五六七八九十百千两")


@lru_cache(maxsize=20000)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    folded = folded if len(folded) == 1 else ch
    return folded.translate(_t2s_table()).upper()


def fold(text: str) -> str:
    """Length-preserving fold (full-width, Traditional, case) so offsets stay on the original."""
    return "".join(_fold_char(ch) for ch in text)


def _ctype(ch: str) -> str:
    if ch.isdigit():
        return "D"
    if ch in _HAN_NUMERALS:
        return "N"
    if "A" <= ch <= "Z":
        return "L"
    if "\u3400" <= ch <= "\u9fff":
        return "H"
    return "P"


def _dict_marks(text: str) -> list[list[str]]:
    marks: list[list[str]] = [[] for _ in text]
    hits = find_all(text)
    for k, hit in enumerate(hits):
        levels = sorted({d.level for d in hit.divisions})[:3]
        tag = "s" if hit.short else "f"
        repeats = _division_repeats(hits, k)
        for i in range(hit.start, hit.end):
            pos = "B" if i == hit.start else ("E" if i == hit.end - 1 else "I")
            marks[i] += [f"d{tag}={lvl}:{pos}" for lvl in levels] + repeats
        marks[hit.start].append(f"dlen={min(hit.end - hit.start, 6)}")
    return marks


def _division_repeats(hits: list, k: int) -> list[str]:
    """Whether the same division is named again before or after hit ``k`` (NAACL labels one of
    the two copies of a doubled chain ``redundant``)."""
    codes = {d.code for d in hits[k].divisions}
    out = []
    if any(codes & {d.code for d in h.divisions} for h in hits[:k]):
        out.append("dup<")
    if any(codes & {d.code for d in h.divisions} for h in hits[k + 1 :]):
        out.append("dup>")
    return out


def _run_marks(text: str) -> list[list[str]]:
    """For digit/letter runs: the characters around the run and its place among the runs."""
    marks: list[list[str]] = [[] for _ in text]
    runs = list(_RUN.finditer(text))
    for k, m in enumerate(runs):
        before = text[m.start() - 1] if m.start() else "^"
        after = text[m.end() : m.end() + 2] or "$"
        feats = [f"rb={before}", f"ra={after}", f"ra1={after[0]}", f"rk={min(k, 4)}",
                 f"rr={min(len(runs) - 1 - k, 4)}", f"rl={min(m.end() - m.start(), 5)}"]
        for i in range(m.start(), m.end()):
            marks[i] += feats
    return marks


def _repeat_marks(text: str) -> list[list[str]]:
    """Marks characters whose trigram already occurred earlier ("rep") or occurs again later
    ("rep>"): duplicated prefixes."""
    marks: list[list[str]] = [[] for _ in text]
    seen: dict[str, int] = {}
    for i in range(len(text) - 2):
        gram = text[i : i + 3]
        first = seen.get(gram)
        if first is not None and first + 3 <= i:
            for j in range(i, i + 3):
                marks[j].append("rep")
            for j in range(first, first + 3):
                if "rep>" not in marks[j]:
                    marks[j].append("rep>")
        seen.setdefault(gram, i)
    return marks


def _landmark_marks(text: str) -> list[list[str]]:
    """The nearest landmark character (路, 号, 室…) before and after each character."""
    marks: list[list[str]] = [[] for _ in text]
    last = None
    for i, ch in enumerate(text):
        if last is not None:
            marks[i].append(f"lp={last[1]}:{min(i - last[0], 6)}")
        if ch in _LANDMARKS:
            last = (i, ch)
    nxt = None
    for i in range(len(text) - 1, -1, -1):
        if nxt is not None:
            marks[i].append(f"ln={nxt[1]}:{min(nxt[0] - i, 6)}")
        if text[i] in _LANDMARKS:
            nxt = (i, text[i])
    return marks


def learn_affixes(gold: list[tuple[str, list[tuple[str, int, int]]]], min_count: int = 5,
                  min_share: float = 0.6) -> dict[str, dict[str, str]]:
    """Two-character span ends and starts that mostly belong to one label in the training
    split (大厦/小区/公司 → poi, 单元 → cellno…), as ``{"end": {bigram: label}, "start": …}``."""
    counts = {"end": Counter(), "start": Counter()}
    for text, spans in gold:
        folded = fold(text)
        for label, start, end in spans:
            if end - start >= 2:
                counts["end"][(folded[end - 2 : end], label)] += 1
                counts["start"][(folded[start : start + 2], label)] += 1
    return {side: _dominant(c, min_count, min_share) for side, c in counts.items()}


def _dominant(counts: Counter, min_count: int, min_share: float) -> dict[str, str]:
    totals: Counter = Counter()
    for (gram, _), n in counts.items():
        totals[gram] += n
    return {gram: label for (gram, label), n in sorted(counts.items())
            if n >= min_count and n >= min_share * totals[gram]}


@lru_cache(maxsize=1)
def affixes() -> dict[str, dict[str, str]]:
    """The shipped affix table (``data/parser_affixes.json``), written with the parser model."""
    path = resources.files("address_match") / "data" / AFFIX_FILE
    if not path.is_file():
        return {"end": {}, "start": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def _affix_marks(text: str) -> list[list[str]]:
    """Span-end and span-start cues from the affix table, and the boundary right after an end."""
    table = affixes()
    ends, starts = table["end"], table["start"]
    marks: list[list[str]] = [[] for _ in text]
    for i in range(len(text) - 1):
        gram = text[i : i + 2]
        label = ends.get(gram)
        if label:
            marks[i + 1].append(f"e2={label}")
            if i + 2 < len(text):
                marks[i + 2].append(f"pe2={label}")
        label = starts.get(gram)
        if label:
            marks[i].append(f"s2={label}")
    return marks


def learn_lexicon(gold: list[tuple[str, list[tuple[str, int, int]]]], min_count: int = LEXICON_MIN_COUNT
                  ) -> dict[str, str]:
    """Span texts (folded, 2–8 characters) of the open-class labels (poi, road, person…) seen at
    least ``min_count`` times in the training split, each with its most frequent label."""
    counts: Counter = Counter()
    for text, spans in gold:
        folded = fold(text)
        for label, start, end in spans:
            if label in LEXICON_LABELS and 2 <= end - start <= _LEX_MAX:
                counts[(folded[start:end], label)] += 1
    table: dict[str, str] = {}
    for (gram, label), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= min_count:
            table.setdefault(gram, label)
    return table


def jackknife_lexicons(gold: list, folds: int = LEXICON_FOLDS, min_count: int = LEXICON_MIN_COUNT
                       ) -> list[dict[str, str]]:
    """One lexicon per fold, each learnt without that fold: training line ``i`` is featurised
    with lexicon ``i % folds``, so the tagger learns how far to trust a match on unseen text
    rather than on the very spans the lexicon was built from."""
    return [learn_lexicon([g for i, g in enumerate(gold) if i % folds != k], min_count) for k in range(folds)]


@lru_cache(maxsize=1)
def lexicon() -> dict[str, str]:
    """The shipped span lexicon (``data/parser_lexicon.json``), written with the parser model."""
    path = resources.files("address_match") / "data" / LEXICON_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _lexicon_marks(text: str, table: dict[str, str]) -> list[list[str]]:
    """The longest lexicon entry starting at each character, marked B/I/E over its span."""
    marks: list[list[str]] = [[] for _ in text]
    for i in range(len(text) - 1):
        for n in range(min(_LEX_MAX, len(text) - i), 1, -1):
            label = table.get(text[i : i + n])
            if label:
                marks[i].append(f"lx={label}:B")
                for k in range(i + 1, i + n - 1):
                    marks[k].append(f"lx={label}:I")
                marks[i + n - 1].append(f"lx={label}:E")
                break
    return marks


def sentence_features(text: str, lexicon_table: dict[str, str] | None = None) -> list[list[str]]:
    """One feature list per character of ``text`` (``lexicon_table``: the span lexicon to
    use, by default the shipped one; training passes each fold's own)."""
    chars = fold(text)
    types = "PPP" + "".join(_ctype(c) for c in chars) + "PPP"
    dicts, runs = _dict_marks(chars), _run_marks(chars)
    reps, lands, affix = _repeat_marks(chars), _landmark_marks(chars), _affix_marks(chars)
    lex = _lexicon_marks(chars, lexicon() if lexicon_table is None else lexicon_table)
    out = []
    for i in range(len(chars)):
        j = i + 3
        feats = [f"t={types[j - 1:j + 2]}", f"tw={types[j - 2:j + 3]}"]
        feats += dicts[i] + runs[i] + reps[i] + lands[i] + affix[i] + lex[i]
        feats += [f"n{f}" for f in dicts[i + 1] if f.startswith("df")] if i + 1 < len(chars) else ["eos"]
        feats += [f"p{f}" for f in dicts[i - 1] if f.startswith("df")] if i else ["bos"]
        out.append(feats)
    return out
