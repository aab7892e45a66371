"""Character features for the CRF address parser (shared by training and tagging)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .divisions import find_all
from .normalize import _t2s_table

_RUN = re.compile(r"[0-9A-Za-z]+")
_LANDMARKS = set("省市区县镇乡村街道路巷弄号栋幢楼单元层室苑园城厦场店司院校馆社组期座")


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
    if "A" <= ch <= "Z":
        return "L"
    if "\u3400" <= ch <= "\u9fff":
        return "H"
    return "P"


def _dict_marks(text: str) -> list[list[str]]:
    marks: list[list[str]] = [[] for _ in text]
    for hit in find_all(text):
        levels = sorted({d.level for d in hit.divisions})[:3]
        tag = "s" if hit.short else "f"
        for i in range(hit.start, hit.end):
            pos = "B" if i == hit.start else ("E" if i == hit.end - 1 else "I")
            marks[i] += [f"d{tag}={lvl}:{pos}" for lvl in levels]
        marks[hit.start].append(f"dlen={min(hit.end - hit.start, 6)}")
    return marks


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
    """Marks characters whose trigram already occurred earlier (duplicated prefixes)."""
    marks: list[list[str]] = [[] for _ in text]
    seen: dict[str, int] = {}
    for i in range(len(text) - 2):
        gram = text[i : i + 3]
        if gram in seen and seen[gram] + 3 <= i:
            for j in range(i, i + 3):
                marks[j].append("rep")
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


def sentence_features(text: str) -> list[list[str]]:
    """One feature list per character of ``text``."""
    chars = fold(text)
    padded = "^^^" + chars + "$$$"
    types = "PPP" + "".join(_ctype(c) for c in chars) + "PPP"
    dicts, runs = _dict_marks(chars), _run_marks(chars)
    reps, lands = _repeat_marks(chars), _landmark_marks(chars)
    out = []
    for i in range(len(chars)):
        j = i + 3
        feats = [
            "b", f"c={padded[j]}", f"c-1={padded[j - 1]}", f"c+1={padded[j + 1]}",
            f"c-2={padded[j - 2]}", f"c+2={padded[j + 2]}", f"c-3={padded[j - 3]}", f"c+3={padded[j + 3]}",
            f"bl={padded[j - 1:j + 1]}", f"br={padded[j:j + 2]}", f"bll={padded[j - 2:j]}",
            f"brr={padded[j + 1:j + 3]}", f"tri={padded[j - 1:j + 2]}", f"t={types[j - 1:j + 2]}",
        ]
        feats += dicts[i] + runs[i] + reps[i] + lands[i]
        feats += [f"n{f}" for f in dicts[i + 1] if f.startswith("df")] if i + 1 < len(chars) else ["eos"]
        feats += [f"p{f}" for f in dicts[i - 1] if f.startswith("df")] if i else ["bos"]
        out.append(feats)
    return out
