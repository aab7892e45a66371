"""Address parsing: split an address into labelled components (prov, road, roadno, poi…).

An average of BiLSTM-CRF networks over characters with BIOES tags (``data/parser_tagger.npz``,
trained by ``python -m address_match.train`` on the NAACL 2019 Chinese address corpus; see
``tagger``). Besides each character and its neighbours, the networks read the division-dictionary,
digit-run, span-affix and span-lexicon features of ``features``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from .features import fold, sentence_features
from .normalize import check_text
from .tagger import Tagger

LABELS = ("country", "prov", "city", "district", "devzone", "town", "community", "road", "subroad",
          "roadno", "subroadno", "poi", "subpoi", "houseno", "cellno", "floorno", "roomno", "person",
          "assist", "redundant", "otherinfo")
MODEL_FILE = "parser_tagger.npz"


class Component(NamedTuple):
    """One labelled span; ``start``/``end`` are character offsets into the original text."""

    label: str
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _tagger() -> Tagger:
    path = resources.files("address_match") / "data" / MODEL_FILE
    with resources.as_file(path) as real_path:
        if not real_path.exists():
            raise FileNotFoundError(f"parser model missing: {real_path} (run make model)")
        with np.load(real_path) as arrays:
            return Tagger(arrays)


def parse(text: str) -> list[Component]:
    """Labelled components of ``text``, in order, with offsets over the original string.

    >>> [(c.label, c.text) for c in parse("重庆市渝北区新牌坊二路123号3栋")][:2]
    [('city', '重庆市'), ('district', '渝北区')]

    Whitespace between components is not part of any component. Raises AddressError for
    empty or over-long input.
    """
    check_text(text)
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> list[Component]:
    stripped = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    body = "".join(ch for _, ch in stripped)
    tags = _tagger().tag(fold(body), sentence_features(body))
    spans = tags_to_spans(tags)
    return [Component(lbl, text[stripped[s][0] : stripped[e - 1][0] + 1], stripped[s][0], stripped[e - 1][0] + 1)
            for lbl, s, e in spans]


def tags_to_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """BIOES (or BIO) tags → (label, start, end) spans. I-/E- continue an open span of the same
    label; B-/S-, or an I-/E- after a closed or different span, open one; E-/S- close it."""
    spans: list[tuple[str, int, int]] = []
    open_ = False
    for i, tag in enumerate(tags):
        kind, _, label = tag.partition("-")
        if kind == "O":
            open_ = False
            continue
        if kind in "IE" and open_ and spans[-1][0] == label and spans[-1][2] == i:
            spans[-1] = (label, spans[-1][1], i + 1)
        else:
            spans.append((label, i, i + 1))
        open_ = kind in "BI"
    return spans


def spans_to_tags(length: int, spans: list[tuple[str, int, int]]) -> list[str]:
    """(label, start, end) spans → BIOES tags (used to build training sequences)."""
    tags = ["O"] * length
    for label, start, end in spans:
        if end - start == 1:
            tags[start] = f"S-{label}"
            continue
        tags[start] = f"B-{label}"
        for i in range(start + 1, end - 1):
            tags[i] = f"I-{label}"
        tags[end - 1] = f"E-{label}"
    return tags
