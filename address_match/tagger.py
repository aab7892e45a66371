"""Numpy inference for the address parser's neural tagger (``data/parser_tagger.npz``).

The tagger is an average of a few BiLSTM-CRFs trained by ``address_match.tagger_training``
(which needs PyTorch; this module needs only numpy). Each network reads, per character:
the folded character, the character pairs to its left and right, and the bag of dictionary,
affix and lexicon features of ``features.sentence_features``. Their emission scores and
transition scores are averaged, and one Viterbi pass over BIOES tags picks the sequence.

All networks of one file share their vocabularies and run in one batched loop over the
characters (one Python loop however many networks there are; the arithmetic still grows with
their number: about 3.3 ms an address for four).
"""

from __future__ import annotations

import numpy as np

NEG = -1e4  # a forbidden BIOES transition


class Tagger:
    """The averaged BiLSTM-CRF networks of one ``.npz`` file (see ``tagger_training.export``)."""

    def __init__(self, arrays) -> None:
        self.tags: list[str] = arrays["tags"].tolist()
        self.char_ids = {c: i + 2 for i, c in enumerate(arrays["chars"].tolist())}
        self.pair_ids = {p: i + 2 for i, p in enumerate(arrays["pairs"].tolist())}
        self.feature_ids = {f: i + 1 for i, f in enumerate(arrays["features"].tolist())}
        get = lambda name: arrays[name].astype(np.float32)  # noqa: E731
        # int8 codes and a scale per row; rows are widened only when looked up
        self.char_emb, self.pair_emb, self.feature_emb = (
            (arrays[name], get(name + "_scale")[..., None]) for name in ("char_emb", "pair_emb", "feature_emb"))
        self.w_in, self.b_in, self.w_hidden = get("w_in"), get("b_in"), get("w_hidden")
        self.w_out, self.b_out = get("w_out"), get("b_out")
        trans_mask, start_mask, end_mask = transition_masks(self.tags)
        self.trans = get("trans").mean(0) + trans_mask
        self.start = get("start").mean(0) + start_mask
        self.end = get("end").mean(0) + end_mask

    @property
    def size(self) -> int:
        """How many networks are averaged."""
        return self.w_out.shape[0]

    def tag(self, chars: str, features: list[list[str]]) -> list[str]:
        """BIOES tags for ``chars`` (already folded, one per character) given each character's
        feature strings (``features.sentence_features``)."""
        if not chars:
            return []
        return [self.tags[i] for i in _viterbi(self.emissions(chars, features), self.trans, self.start, self.end)]

    def emissions(self, chars: str, features: list[list[str]]) -> np.ndarray:
        """Averaged emission scores, shape (len(chars), number of tags)."""
        x = self._inputs(chars, features)                        # (models, n, d)
        gates = np.matmul(np.concatenate([x, x[:, ::-1]]), self.w_in) + self.b_in[:, None]
        hidden = _lstm(gates, self.w_hidden)                     # (2 * models, n, h)
        k = self.size
        both = np.concatenate([hidden[:k], hidden[k:, ::-1]], axis=2)
        return (np.matmul(both, self.w_out) + self.b_out[:, None]).mean(0)

    def _inputs(self, chars: str, features: list[list[str]]) -> np.ndarray:
        c = [self.char_ids.get(ch, 1) for ch in chars]
        p = [self.pair_ids.get(pair, 1) for pair in character_pairs(chars)]
        hits = [(i, self.feature_ids[name]) for i, names in enumerate(features) for name in names
                if name in self.feature_ids]
        used = sorted({j for _, j in hits})
        column = {j: u for u, j in enumerate(used)}
        bag = np.zeros((len(chars), len(used)), np.float32)   # the networks sum a character's features
        for i, j in hits:
            bag[i, column[j]] += 1.0
        feat = np.matmul(bag, _rows(self.feature_emb, used))
        pairs = _rows(self.pair_emb, p)
        return np.concatenate([_rows(self.char_emb, c), pairs[:, :-1], pairs[:, 1:], feat], axis=2)


def _rows(table: tuple[np.ndarray, np.ndarray], ids: list[int]) -> np.ndarray:
    """Rows ``ids`` of an int8 embedding table with its per-row scales, as float32 (networks, ids, dim)."""
    codes, scale = table
    return codes[:, ids].astype(np.float32) * scale[:, ids]


def character_pairs(chars: str) -> list[str]:
    """The n + 1 two-character windows over ``^chars$``: character i's left pair is window i,
    its right pair window i + 1."""
    return [a + b for a, b in zip("^" + chars, chars + "$", strict=True)]


def _lstm(gates: np.ndarray, w_hidden: np.ndarray) -> np.ndarray:
    """Run every (network, direction) LSTM at once; gate order i, f, g, o as in PyTorch."""
    k, n, four_h = gates.shape
    h_dim = four_h // 4
    h = np.zeros((k, 1, h_dim), np.float32)
    cell = np.zeros((k, h_dim), np.float32)
    out = np.empty((k, n, h_dim), np.float32)
    for t in range(n):
        g = gates[:, t] + np.matmul(h, w_hidden)[:, 0]
        s = 0.5 * (np.tanh(0.5 * g) + 1.0)
        cell = s[:, h_dim:2 * h_dim] * cell + s[:, :h_dim] * np.tanh(g[:, 2 * h_dim:3 * h_dim])
        out[:, t] = s[:, 3 * h_dim:] * np.tanh(cell)
        h = out[:, t, None]
    return out


def transition_masks(tags: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additive masks (0 or NEG) for BIOES: tag→tag transitions, first tags and last tags. B-x and
    I-x must go on to I-x or E-x; anything else may go on only to O, B- or S-."""
    def allowed(prev: str, nxt: str) -> bool:
        p_kind, _, p_label = prev.partition("-")
        n_kind, _, n_label = nxt.partition("-")
        if p_kind in ("B", "I"):
            return n_kind in ("I", "E") and n_label == p_label
        return n_kind in ("O", "B", "S")

    trans = np.array([[0.0 if allowed(p, q) else NEG for q in tags] for p in tags], np.float32)
    start = np.array([0.0 if t[0] in "OBS" else NEG for t in tags], np.float32)
    end = np.array([0.0 if t[0] in "OES" else NEG for t in tags], np.float32)
    return trans, start, end


def _viterbi(emissions: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    score = start + emissions[0]
    back = []
    for t in range(1, emissions.shape[0]):
        m = score[:, None] + trans
        back.append(m.argmax(0))
        score = m.max(0) + emissions[t]
    best = [int((score + end).argmax())]
    for b in reversed(back):
        best.append(int(b[best[-1]]))
    return best[::-1]
