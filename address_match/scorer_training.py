"""Training of the pair scorer (``scorer``) on the CCKS 2021 address-relevance pairs.

The split is by query: queries whose CRC32 is even train the model (and choose its
regularisation by grouped cross-validation); the odd half is never seen here and is what
``bench/bench_address.py`` reports. The vocabulary of one-side-only characters is the most
frequent ones in the training pairs (labels unseen). Needs scikit-learn, which inference does not.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from pathlib import Path

from .fields import extract
from .normalize import normalize
from .pairs import Side, letter_filter, pair_tokens, side
from .scorer import CLASSES, Scorer

C_GRID = (0.01, 0.02, 0.03, 0.05, 0.1)
MIN_COUNT = 3  # tokens seen fewer times in training are dropped
# Characters found on one side only in fewer training pairs are no feature: each kept one costs
# a little on every compare (pairs.side), and the rare ones add nothing in cross-validation.
LETTER_MIN_COUNT = 800
_LETTER_TOKENS = ("ao=", "bo=")
# The learning curve (``learning_curve``): shares of the training queries, and how many different
# draws of each share below the whole are trained and scored.
CURVE_SHARES = (0.25, 0.5, 0.75, 1.0)
CURVE_DRAWS = 3
LEVELS = {level: code for code, level in enumerate(CLASSES)}  # a verdict's level → the CCKS label


def read_pairs(path: Path) -> list[tuple[str, str, int]]:
    """(query, candidate, label) rows of a CCKS tsv (label 0 none, 1 partial, 2 exact)."""
    if not path.exists():
        raise FileNotFoundError(f"missing shared data file: {path}")
    with path.open(encoding="utf-8") as fh:
        return [(q, c, int(label)) for q, c, label in (line.rstrip("\n").split("\t") for line in fh)]


def is_training_query(query: str) -> bool:
    """The fixed split: even CRC32 trains, odd is held out for the benchmark."""
    return zlib.crc32(query.encode("utf-8")) % 2 == 0


def tokens_of(a: str, b: str, letters: str = "") -> list[str]:
    """The scorer's feature tokens for one pair, as ``compare`` computes them with a model whose
    vocabulary is ``letters`` (every character but digits when empty)."""
    keep = letter_filter(letters)
    return pair_tokens(text_side(a, keep), text_side(b, keep))


def text_side(text: str, keep: re.Pattern) -> Side:
    """The ``pairs.side`` of ``text``, its vocabulary characters picked by ``keep`` (a ``letter_filter``)."""
    return side(extract(text), normalize(text), keep)


def letter_vocabulary(docs: list[list[str]]) -> str:
    """The characters found on one side only in at least ``LETTER_MIN_COUNT`` training pairs."""
    counts = Counter(t[3:] for doc in docs for t in doc if t.startswith(_LETTER_TOKENS))
    return "".join(sorted(c for c, n in counts.items() if n >= LETTER_MIN_COUNT))


def train_scorer(ccks_file: Path, out_file: Path) -> dict:
    """Fit the multinomial logistic regression on the even half and write its weights as JSON."""
    rows = [r for r in read_pairs(ccks_file) if is_training_query(r[0])]
    scorer, stats = fit_scorer(rows)
    scorer.meta = {"trained_on": "CCKS 2021 round-1 dev, queries with even CRC32", "pairs": len(rows),
                   "C": stats["C"], "cv_accuracy": stats["cv_accuracy"]}
    out_file.write_text(scorer.to_json(), encoding="utf-8")
    return stats


def fit_scorer(rows: list[tuple[str, str, int]]) -> tuple[Scorer, dict]:
    """The scorer fitted on ``rows`` (its letters, tokens and regularisation all chosen on them), and what
    was chosen."""
    from sklearn.feature_extraction import DictVectorizer

    docs = [tokens_of(q, c) for q, c, _ in rows]
    letters = letter_vocabulary(docs)
    docs = [[t for t in doc if not t.startswith(_LETTER_TOKENS) or t[3:] in letters] for doc in docs]
    counts = Counter(t for doc in docs for t in set(doc))
    vec = DictVectorizer()
    x = vec.fit_transform([{t: 1 for t in doc if counts[t] >= MIN_COUNT} for doc in docs])
    y = [label for _, _, label in rows]
    groups = [zlib.crc32(q.encode("utf-8")) for q, _, _ in rows]
    c, cv_acc = _choose_c(x, y, groups)
    model = _fit(x, y, c)
    weights = {name: list(model.coef_[:, j]) for j, name in enumerate(vec.feature_names_)}
    stats = {"pairs": len(rows), "tokens": len(weights), "letters": len(letters), "C": c,
             "cv_accuracy": round(cv_acc, 4)}
    return Scorer(weights, list(model.intercept_), None, letters), stats


def _fit(x, y, c: float):
    return _fit_estimator(c).fit(x, y)


def _choose_c(x, y, groups) -> tuple[float, float]:
    from sklearn.model_selection import GroupKFold, cross_val_score

    scores = {c: cross_val_score(_fit_estimator(c), x, y, groups=groups, cv=GroupKFold(4)).mean() for c in C_GRID}
    best = max(scores, key=scores.get)
    return best, float(scores[best])


def _fit_estimator(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000)


def in_share(query: str, share: float, draw: int) -> bool:
    """Whether ``query`` is among the ``share`` of queries that ``draw`` picks; the shares of one draw
    are nested (a quarter inside the half inside three quarters)."""
    return zlib.crc32(f"{draw}|{query}".encode()) % 1000 < share * 1000


def learning_curve(ccks_file: Path, shares: tuple[float, ...] = CURVE_SHARES,
                   draws: int = CURVE_DRAWS) -> list[dict]:
    """Held-out accuracy of ``compare`` with scorers fitted on shares of the training queries: how much
    more labelled data would buy. Each share but the whole is drawn ``draws`` times; every fit is scored
    on the whole odd half, as ``bench/bench_address.py`` scores the shipped scorer."""
    rows = read_pairs(ccks_file)
    train = [r for r in rows if is_training_query(r[0])]
    held = [r for r in rows if not is_training_query(r[0])]
    curve = []
    for share in shares:
        fits = [[r for r in train if in_share(r[0], share, draw)] for draw in range(draws if share < 1 else 1)]
        accuracy = [held_out_accuracy(fit_scorer(subset)[0], held) for subset in fits]
        curve.append({"share": share, "pairs": round(sum(map(len, fits)) / len(fits)),
                      "accuracy": round(sum(accuracy) / len(accuracy), 4), "draws": [round(a, 4) for a in accuracy]})
    return curve


def held_out_accuracy(scorer: Scorer, rows: list[tuple[str, str, int]]) -> float:
    """The share of ``rows`` whose label ``compare`` would give with ``scorer`` in place of the shipped one."""
    from .compare import relate_sides

    keep, sides = scorer.letter_filter, {}

    def side_of(text: str) -> Side:
        if text not in sides:
            sides[text] = text_side(text, keep)
        return sides[text]

    hits = sum(LEVELS[relate_sides(side_of(q), side_of(c), scorer).level] == label for q, c, label in rows)
    return hits / len(rows)
