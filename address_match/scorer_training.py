"""Training of the pair scorer (``scorer``) on the CCKS 2021 address-relevance pairs.

The split is by query: queries whose CRC32 is even train the model (and choose its
regularisation by grouped cross-validation); the odd half is never seen here and is what
``bench/bench_address.py`` reports. The vocabulary of one-side-only characters is the most
frequent ones in the training pairs (labels unseen). Needs scikit-learn, which inference does not.
"""

from __future__ import annotations

import zlib
from collections import Counter
from pathlib import Path

from .fields import extract
from .normalize import normalize
from .pairs import letter_filter, pair_tokens, side
from .scorer import Scorer

C_GRID = (0.01, 0.02, 0.03, 0.05, 0.1)
MIN_COUNT = 3  # tokens seen fewer times in training are dropped
# Characters found on one side only in fewer training pairs are no feature: each kept one costs
# a little on every compare (pairs.side), and the rare ones add nothing in cross-validation.
LETTER_MIN_COUNT = 800
_LETTER_TOKENS = ("ao=", "bo=")


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
    return pair_tokens(side(extract(a), normalize(a), keep), side(extract(b), normalize(b), keep))


def letter_vocabulary(docs: list[list[str]]) -> str:
    """The characters found on one side only in at least ``LETTER_MIN_COUNT`` training pairs."""
    counts = Counter(t[3:] for doc in docs for t in doc if t.startswith(_LETTER_TOKENS))
    return "".join(sorted(c for c, n in counts.items() if n >= LETTER_MIN_COUNT))


def train_scorer(ccks_file: Path, out_file: Path) -> dict:
    """Fit the multinomial logistic regression on the even half and write its weights as JSON."""
    from sklearn.feature_extraction import DictVectorizer

    rows = [r for r in read_pairs(ccks_file) if is_training_query(r[0])]
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
    meta = {"trained_on": "CCKS 2021 round-1 dev, queries with even CRC32", "pairs": len(rows),
            "C": c, "cv_accuracy": round(cv_acc, 4)}
    out_file.write_text(Scorer(weights, list(model.intercept_), meta, letters).to_json(), encoding="utf-8")
    return {"pairs": len(rows), "tokens": len(weights), "letters": len(letters), "C": c, "cv_accuracy": round(cv_acc, 4)}


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
