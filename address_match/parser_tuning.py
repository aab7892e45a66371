"""Checking the tagger's training recipe on a held-out part of the training file (never dev).

``python -m address_match.train --tune`` trains the networks on six sevenths of
``naacl2019_train.jsonl`` (affix table and span lexicon learnt from the same six sevenths) and
reports the span micro-F1 on the remaining seventh. It takes as long as ``make model``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import features
from .features import fold, learn_affixes, learn_lexicon, sentence_features
from .parse import LABELS, tags_to_spans
from .tagger import Tagger

HOLD_OUT_EVERY = 7


def split(gold: list) -> tuple[list, list]:
    """(fit, held-out): every seventh line is held out."""
    return ([g for i, g in enumerate(gold) if i % HOLD_OUT_EVERY],
            [g for i, g in enumerate(gold) if i % HOLD_OUT_EVERY == 0])


def span_f1(spans_of: Callable[[str], list[tuple[str, int, int]]], gold: list) -> float:
    """Micro-F1 over exact (label, start, end) spans that ``spans_of(text)`` gives, gold labels
    outside LABELS ignored (also what ``bench_address`` scores ``parse`` with)."""
    tp = fp = fn = 0
    for text, spans in gold:
        want = {s for s in spans if s[0] in LABELS}
        got = set(spans_of(text))
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def tune(gold: list, aux_file: Path, seeds: tuple[int, ...]) -> float:
    """Held-out F1 of networks trained on the fit split (with ``aux_file`` as the auxiliary corpus);
    the shipped tables are left untouched."""
    from .tagger_training import bioes_tags, examples_from_gold, train_tagger
    from .train import auxiliary_corpus

    fit, held = split(gold)
    table, lex = learn_affixes(fit), learn_lexicon(fit)
    saved = features.affixes, features.lexicon
    features.affixes, features.lexicon = (lambda: table), (lambda: lex)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tune.npz"
            train_tagger(examples_from_gold(fit, LABELS), bioes_tags(LABELS), path, seeds=seeds,
                         auxiliary=auxiliary_corpus(aux_file))
            with np.load(path) as arrays:
                tagger = Tagger(arrays)
        f1 = span_f1(lambda text: tags_to_spans(tagger.tag(fold(text), sentence_features(text))), held)
        print(f"tune: {len(seeds)} networks, held-out F1 {f1:.4f}", flush=True)
        return f1
    finally:
        features.affixes, features.lexicon = saved
