"""Train the address parser's neural tagger and export it for ``tagger`` (numpy inference).

Needs PyTorch, a training-only dependency (``pip install -e '.[train]'``; ``make model`` installs
it). Each network is a one-layer BiLSTM over character, character-pair and dictionary-feature
embeddings, with a CRF over BIOES tags on top; ``train_tagger`` trains several with different
seeds, one per process, and writes their weights into one ``.npz`` that ``tagger.Tagger`` averages.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .features import LEXICON_FOLDS, fold, jackknife_lexicons, sentence_features
from .parse import spans_to_tags
from .tagger import character_pairs

# Chosen on a held-out seventh of the NAACL training file: held-out F1 peaked after 9–12 epochs and
# then wavered by ±0.003 from epoch to epoch; averaging the weights of the later epochs evens that out.
# The swei412 corpus at half weight, 8,000 lines an epoch, raised one network's held-out F1 from about
# 0.894 to 0.898.
CONFIG = {"char_dim": 64, "pair_dim": 64, "feature_dim": 64, "hidden": 160, "dropout": 0.4,
          "lr": 2e-3, "batch": 16, "epochs": 12, "average_from": 6, "clip": 5.0,
          "aux_per_epoch": 8000, "aux_weight": 0.5}
MIN_PAIR_COUNT = 2
MIN_FEATURE_COUNT = 2


@dataclass
class Example:
    """One training address: folded characters, per-character feature strings, BIOES tags."""

    chars: str
    features: list[list[str]]
    tags: list[str]


@dataclass
class Auxiliary:
    """A second corpus with its own labels, learnt through its own output layer and CRF: each epoch
    draws ``per_epoch`` of its examples, and their loss counts ``weight`` times."""

    examples: list[Example]
    tags: list[str]
    per_epoch: int = CONFIG["aux_per_epoch"]
    weight: float = CONFIG["aux_weight"]


@dataclass
class Vocabulary:
    """What the networks embed, in id order: every character, the character pairs and the feature
    strings seen at least twice (id 1 is the unknown, 0 padding), and the tags they predict."""

    tags: list[str]
    chars: list[str]
    pairs: list[str]
    features: list[str]

    @classmethod
    def from_examples(cls, examples: list[Example], tags: list[str], more_text: tuple[str, ...] = ()) -> Vocabulary:
        """Characters and pairs from the examples and ``more_text``; features from the examples."""
        texts = [e.chars for e in examples] + list(more_text)
        chars = Counter(c for t in texts for c in t)
        pairs = Counter(p for t in texts for p in character_pairs(t))
        feats = Counter(f for e in examples for names in e.features for f in names)
        return cls(tags, sorted(chars), sorted(p for p, n in pairs.items() if n >= MIN_PAIR_COUNT),
                   sorted(f for f, n in feats.items() if n >= MIN_FEATURE_COUNT))


def bioes_tags(labels: tuple[str, ...]) -> list[str]:
    """"O" and B-/I-/E-/S- of every label: the tagger's tag set, in its order."""
    return ["O"] + [f"{p}-{label}" for label in labels for p in "BIES"]


def examples_from_gold(gold: list[tuple[str, list]], labels: tuple[str, ...], *, jackknife: bool = True
                       ) -> list[Example]:
    """Training examples from (text, [(label, start, end)]) rows, spans of other labels and spans
    overlapping an earlier one dropped, with the current affix table and span lexicon. With
    ``jackknife`` each row sees the lexicon learnt without its own fold
    (``features.jackknife_lexicons``), as an unseen address would."""
    folds = jackknife_lexicons(gold) if jackknife else None
    return [Example(fold(text), sentence_features(text, folds[i % LEXICON_FOLDS] if folds else None),
                    spans_to_tags(len(text), _disjoint([s for s in spans if s[0] in labels])))
            for i, (text, spans) in enumerate(gold)]


def _disjoint(spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    kept, end = [], 0
    for span in sorted(spans, key=lambda s: s[1]):
        if span[1] >= end and span[2] > span[1]:
            kept.append(span)
            end = span[2]
    return kept


def train_tagger(examples: list[Example], tags: list[str], out_file: Path, *, seeds: tuple[int, ...],
                 epochs: int = CONFIG["epochs"], auxiliary: Auxiliary | None = None, workers: int = 2) -> None:
    """Train one network per seed (``workers`` processes at a time) and export them together."""
    vocab = Vocabulary.from_examples(examples, tags, tuple(e.chars for e in auxiliary.examples) if auxiliary else ())
    jobs = [(examples, vocab, seed, epochs, auxiliary) for seed in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        states = list(pool.map(_train_network, jobs))
    export(states, vocab, out_file)


def export(states: list[dict], vocab: Vocabulary, out_file: Path) -> None:
    """Write networks' weights (numpy arrays keyed as in ``tagger_network.Network.state_dict``) for ``tagger.Tagger``:
    one array per weight, the networks stacked on the first axis. To keep the file small, the
    embedding tables are int8 with a scale per row and the LSTM and output matrices float16; the
    summed biases and the CRF weights stay float32."""
    def stack(name, transpose=False):
        return np.stack([s[name].T if transpose else s[name] for s in states])

    both = lambda name, t=False: np.concatenate([stack(f"lstm.{name}_l0", t), stack(f"lstm.{name}_l0_reverse", t)])  # noqa: E731
    arrays = {
        "char_emb": stack("chars.weight"), "pair_emb": stack("pairs.weight"),
        "feature_emb": stack("features.weight"),
        "w_in": both("weight_ih", True), "w_hidden": both("weight_hh", True),
        "b_in": both("bias_ih") + both("bias_hh"),
        "w_out": stack("out.weight", True), "b_out": stack("out.bias"),
        "trans": stack("trans"), "start": stack("start"), "end": stack("end"),
    }
    for name in ("char_emb", "pair_emb", "feature_emb"):
        arrays[name], arrays[name + "_scale"] = quantize_rows(arrays[name])
    for name in ("w_in", "w_hidden", "w_out"):
        arrays[name] = arrays[name].astype(np.float16)
    np.savez_compressed(out_file, tags=np.array(vocab.tags), chars=np.array(vocab.chars),
                        pairs=np.array(vocab.pairs), features=np.array(vocab.features), **arrays)


def quantize_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and a float32 scale per row (its largest magnitude / 127) for embedding tables,
    rounded through float16 first, so a table exported before as float16 converts to the same bytes."""
    table = table.astype(np.float16).astype(np.float32)
    scale = np.abs(table).max(axis=-1) / 127.0
    codes = np.rint(table / np.where(scale == 0, 1.0, scale)[..., None]).astype(np.int8)
    return codes, scale.astype(np.float32)


def _train_network(job) -> dict:
    import torch

    examples, vocab, seed, epochs, auxiliary = job
    torch.set_num_threads(1)
    random.seed(seed)
    torch.manual_seed(seed)
    encoded = _encode(examples, vocab)
    aux_encoded = _encode(auxiliary.examples, replace(vocab, tags=auxiliary.tags)) if auxiliary else []
    net = _network(vocab, auxiliary.tags if auxiliary else None)
    opt = torch.optim.Adam(net.parameters(), lr=CONFIG["lr"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda ep: 1.0 / (1 + 0.05 * ep))
    average, averaged = None, 0
    for epoch in range(epochs):
        for head, weight, batch in _epoch_steps(encoded, aux_encoded, auxiliary):
            loss = weight * net.nll(batch, head)
            opt.zero_grad()
            (loss / len(batch)).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), CONFIG["clip"])
            opt.step()
        sched.step()
        if epoch >= min(CONFIG["average_from"], epochs - 1):
            averaged += 1
            average = _running_mean(average, net.state_dict(), averaged)
        print(f"tagger: network {seed}, epoch {epoch + 1}/{epochs} done", flush=True)
    return {k: v.numpy() for k, v in average.items() if not k.startswith("aux_")}


def _epoch_steps(encoded: list, aux_encoded: list, auxiliary: Auxiliary | None) -> list[tuple[str, float, list]]:
    """(head, loss weight, batch) for one epoch: every main batch and a fresh draw of auxiliary ones,
    shuffled together."""
    steps = [("", 1.0, b) for b in _batches(encoded)]
    if auxiliary:
        drawn = random.sample(aux_encoded, min(auxiliary.per_epoch, len(aux_encoded)))
        steps += [("aux_", auxiliary.weight, b) for b in _batches(drawn)]
    random.shuffle(steps)
    return steps


def _running_mean(mean: dict | None, state: dict, count: int) -> dict:
    """The mean of ``count`` weight sets, given the mean of the first ``count - 1`` and the last."""
    state = {k: v.detach().clone() for k, v in state.items()}
    if mean is None:
        return state
    return {k: mean[k] + (state[k] - mean[k]) / count for k in state}


def _encode(examples: list[Example], vocab: Vocabulary) -> list[tuple]:
    """(char ids, pair ids, feature id lists, tag ids) per example; 1 is the unknown id, 0 padding."""
    char_ids = {c: i + 2 for i, c in enumerate(vocab.chars)}
    pair_ids = {p: i + 2 for i, p in enumerate(vocab.pairs)}
    feature_ids = {f: i + 1 for i, f in enumerate(vocab.features)}
    tag_ids = {t: i for i, t in enumerate(vocab.tags)}
    return [([char_ids.get(c, 1) for c in e.chars], [pair_ids.get(p, 1) for p in character_pairs(e.chars)],
             [[feature_ids[f] for f in names if f in feature_ids] or [0] for names in e.features],
             [tag_ids[t] for t in e.tags]) for e in examples]


def _batches(encoded: list) -> list[list]:
    """Batches of similar lengths (sorted within shuffled chunks of 20 batches) to pad little."""
    size = CONFIG["batch"]
    order = list(range(len(encoded)))
    random.shuffle(order)
    batches = []
    for k in range(0, len(order), size * 20):
        chunk = sorted(order[k:k + size * 20], key=lambda i: len(encoded[i][0]))
        batches += [[encoded[i] for i in chunk[j:j + size]] for j in range(0, len(chunk), size)]
    return batches


def _network(vocab: Vocabulary, aux_tags: list[str] | None):
    from .tagger_network import Network

    return Network(vocab, CONFIG, aux_tags)
