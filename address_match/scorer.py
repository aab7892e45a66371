"""The learned relation scorer: multinomial logistic regression over pair tokens (``pairs``).

Weights ship as ``data/scorer.json`` (trained by ``python -m address_match.train --only scorer``
on the CCKS 2021 address-relevance queries with even CRC32; the odd half is kept for the
benchmark). Inference is pure Python: one dict look-up per active token.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

MODEL_FILE = "scorer.json"
CLASSES = ("none", "partial", "exact")


class Scorer:
    """Weights ``{token: (w_none, w_partial, w_exact)}`` and per-class biases."""

    def __init__(self, weights: dict[str, list[float]], bias: list[float], meta: dict | None = None) -> None:
        self.weights = {k: tuple(v) for k, v in weights.items()}
        self.bias = tuple(bias)
        self.meta = meta or {}

    def probabilities(self, tokens: list[str]) -> tuple[float, float, float]:
        """Class probabilities (none, partial, exact) for one pair's tokens; unknown tokens are ignored."""
        s0, s1, s2 = self.bias
        get = self.weights.get
        for token in tokens:
            w = get(token)
            if w is not None:
                s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
        top = max(s0, s1, s2)
        e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        return e0 / total, e1 / total, e2 / total

    def to_json(self) -> str:
        rounded = {k: [round(x, 5) for x in v] for k, v in sorted(self.weights.items())}
        return json.dumps({"classes": CLASSES, "bias": [round(x, 5) for x in self.bias], "weights": rounded,
                           "meta": self.meta}, ensure_ascii=False, indent=0)


@lru_cache(maxsize=1)
def load_scorer() -> Scorer:
    """The shipped scorer (``data/scorer.json``)."""
    path = resources.files("address_match") / "data" / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"scorer weights missing: {path} (run python -m address_match.train --only scorer)")
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["classes"]) != CLASSES:
        raise ValueError(f"scorer classes {raw['classes']} != {CLASSES}")
    return Scorer(raw["weights"], raw["bias"], raw.get("meta"))
