"""The PyTorch BiLSTM-CRF behind the parser's tagger (training only; see ``tagger_training``).

``tagger.Tagger`` re-implements its forward pass in numpy; the weight names here are what
``tagger_training.export`` reads.
"""

from __future__ import annotations

import torch
from torch import nn

from .tagger import transition_masks


class Network(nn.Module):
    """Character, left/right character-pair and summed feature embeddings → BiLSTM → tag scores,
    with learnt BIOES transitions (forbidden ones masked). With ``aux_tags``, a second output layer
    and CRF (the ``aux_`` weights) learn another corpus's labels from the same BiLSTM; the
    exported tagger leaves them out."""

    def __init__(self, vocab, config: dict, aux_tags: list[str] | None = None) -> None:
        super().__init__()
        self.chars = nn.Embedding(len(vocab.chars) + 2, config["char_dim"], padding_idx=0)
        self.pairs = nn.Embedding(len(vocab.pairs) + 2, config["pair_dim"], padding_idx=0)
        self.features = nn.EmbeddingBag(len(vocab.features) + 1, config["feature_dim"], mode="sum", padding_idx=0)
        width = config["char_dim"] + 2 * config["pair_dim"] + config["feature_dim"]
        self.drop = nn.Dropout(config["dropout"])
        self.lstm = nn.LSTM(width, config["hidden"], bidirectional=True, batch_first=True)
        self._add_head("", vocab.tags, 2 * config["hidden"])
        if aux_tags:
            self._add_head("aux_", aux_tags, 2 * config["hidden"])

    def _add_head(self, prefix: str, tags: list[str], width: int) -> None:
        """An output layer and CRF weights named ``prefix`` + out/trans/start/end, with their masks."""
        n = len(tags)
        setattr(self, prefix + "out", nn.Linear(width, n))
        for name, shape in (("trans", (n, n)), ("start", (n,)), ("end", (n,))):
            setattr(self, prefix + name, nn.Parameter(torch.zeros(*shape)))
        masks = [torch.from_numpy(m) for m in transition_masks(tags)]
        for name, mask in zip(("trans_mask", "start_mask", "end_mask"), masks, strict=True):
            self.register_buffer(prefix + name, mask, persistent=False)

    def emissions(self, batch: list[tuple], head: str = "") -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([len(x[0]) for x in batch])
        width = int(lengths.max())
        chars = _padded([x[0] for x in batch], width)
        pairs = _padded([x[1] for x in batch], width + 1)
        flat, offsets = [], []
        for x in batch:
            for j in range(width):
                offsets.append(len(flat))
                flat.extend(x[2][j] if j < len(x[0]) else [0])
        feats = self.features(torch.tensor(flat), torch.tensor(offsets)).view(len(batch), width, -1)
        h = self.drop(torch.cat([self.chars(chars), self.pairs(pairs[:, :-1]), self.pairs(pairs[:, 1:]), feats], -1))
        packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=width)
        return getattr(self, head + "out")(self.drop(out)), lengths

    def nll(self, batch: list[tuple], head: str = "") -> torch.Tensor:
        """Summed negative log-likelihood of the batch's gold tags under the CRF of ``head``
        ("" or "aux_")."""
        e, lengths = self.emissions(batch, head)
        size, width, _ = e.shape
        mask = torch.arange(width)[None, :] < lengths[:, None]
        gold = _padded([x[3] for x in batch], width)
        trans, start, end = (getattr(self, head + name) + getattr(self, head + name + "_mask")
                             for name in ("trans", "start", "end"))
        score = start[gold[:, 0]] + e[:, 0].gather(1, gold[:, :1]).squeeze(1)
        alpha = start + e[:, 0]
        for t in range(1, width):
            step = trans[gold[:, t - 1], gold[:, t]] + e[:, t].gather(1, gold[:, t:t + 1]).squeeze(1)
            score = score + step * mask[:, t]
            nxt = torch.logsumexp(alpha[:, :, None] + trans[None] + e[:, t, None, :], 1)
            alpha = torch.where(mask[:, t, None], nxt, alpha)
        score = score + end[gold.gather(1, (lengths - 1)[:, None]).squeeze(1)]
        return (torch.logsumexp(alpha + end, 1) - score).sum()


def _padded(rows: list[list[int]], width: int) -> torch.Tensor:
    out = torch.zeros(len(rows), width, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, :len(row)] = torch.tensor(row)
    return out
