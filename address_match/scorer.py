"""The learned relation scorer: multinomial logistic regression over pair tokens (``pairs``).

Weights ship as ``data/scorer.json`` (trained by ``python -m address_match.train --only scorer``
on the CCKS 2021 address-relevance queries with even CRC32; the odd half is kept for the
benchmark). Inference is pure Python: one dict look-up per active token.
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property, lru_cache
from importlib import resources

from .pairs import letter_filter

MODEL_FILE = "scorer.json"
CLASSES = ("none", "partial", "exact")


class _Weights(dict):
    """Weights of tokens; a token the model has not seen weighs nothing."""

    def __missing__(self, token: str) -> float:
        return 0.0


class Scorer:
    """Weights ``{token: (w_none, w_partial, w_exact)}``, per-class biases, and the characters
    whose presence on one side only is a token (``letters``, chosen in training; see ``pairs.pair_tokens``)."""

    def __init__(self, weights: dict[str, list[float]], bias: list[float], meta: dict | None = None,
                 letters: str = "") -> None:
        self.weights = {k: tuple(v) for k, v in weights.items()}
        self.bias = tuple(bias)
        self.meta = meta or {}
        self.letters = letters
        # Softmax only sees differences: scores relative to "none" need two sums, not three.
        self._partial = _Weights((k, v[1] - v[0]) for k, v in self.weights.items())
        self._exact = _Weights((k, v[2] - v[0]) for k, v in self.weights.items())
        self._bias_partial, self._bias_exact = self.bias[1] - self.bias[0], self.bias[2] - self.bias[0]

    @cached_property
    def letter_filter(self) -> re.Pattern:
        """The ``pairs.letter_filter`` of this model's characters, for ``pairs.side``."""
        return letter_filter(self.letters)

    def probabilities(self, tokens: list[str]) -> tuple[float, float, float]:
        """Class probabilities (none, partial, exact) for one pair's tokens; unknown tokens are ignored."""
        s1 = self._bias_partial + sum(map(self._partial.__getitem__, tokens))
        s2 = self._bias_exact + sum(map(self._exact.__getitem__, tokens))
        top = max(0.0, s1, s2)
        e0, e1, e2 = math.exp(-top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        return e0 / total, e1 / total, e2 / total

    def to_json(self) -> str:
        rounded = {k: [round(x, 5) for x in v] for k, v in sorted(self.weights.items())}
        return json.dumps({"classes": CLASSES, "bias": [round(x, 5) for x in self.bias], "letters": self.letters,
                           "weights": rounded, "meta": self.meta}, ensure_ascii=False, indent=0)


@lru_cache(maxsize=1)
def load_scorer() -> Scorer:
    """The shipped scorer (``data/scorer.json``)."""
    path = resources.files("address_match") / "data" / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"scorer weights missing: {path} (run python -m address_match.train --only scorer)")
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["classes"]) != CLASSES:
        raise ValueError(f"scorer classes {raw['classes']} != {CLASSES}")
    return Scorer(raw["weights"], raw["bias"], raw.get("meta"), raw.get("letters", ""))
