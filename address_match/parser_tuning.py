"""Choosing the CRF's c1/c2/iterations on a held-out part of the training file (never dev).

``python -m address_match.train --tune`` fits one model per setting on six sevenths of
``naacl2019_train.jsonl`` (affix table and span lexicon learnt from the same six sevenths) and reports the
span micro-F1 on the remaining seventh. Each fit takes minutes; the grid is kept small.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import features
from .features import LEXICON_FOLDS, jackknife_lexicons, learn_affixes, learn_lexicon, sentence_features
from .parse import LABELS, spans_to_tags, tags_to_spans

GRID = ((0.02, 0.05), (0.05, 0.01), (0.01, 0.1))
HOLD_OUT_EVERY = 7


def split(gold: list) -> tuple[list, list]:
    """(fit, held-out): every seventh line is held out."""
    return ([g for i, g in enumerate(gold) if i % HOLD_OUT_EVERY],
            [g for i, g in enumerate(gold) if i % HOLD_OUT_EVERY == 0])


def span_f1(tagger, gold: list) -> float:
    """Micro-F1 over exact (label, start, end) spans, gold labels outside LABELS ignored."""
    tp = fp = fn = 0
    for text, spans in gold:
        want = {s for s in spans if s[0] in LABELS}
        got = set(tags_to_spans(tagger.tag(sentence_features(text))))
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def tune(gold: list, iterations: int, grid=GRID) -> list[tuple[float, float, float]]:
    """(c1, c2, held-out F1) per setting; the shipped affix table and lexicon are left untouched."""
    import pycrfsuite

    fit, held = split(gold)
    table, lex, folds = learn_affixes(fit), learn_lexicon(fit), jackknife_lexicons(fit)
    saved = features.affixes, features.lexicon
    features.affixes, features.lexicon = (lambda: table), (lambda: lex)
    try:
        results = []
        for c1, c2 in grid:
            with tempfile.TemporaryDirectory() as tmp:
                path = str(Path(tmp) / "tune.crfsuite")
                trainer = pycrfsuite.Trainer(verbose=False)
                for i, (text, spans) in enumerate(fit):
                    trainer.append(sentence_features(text, folds[i % LEXICON_FOLDS]), spans_to_tags(len(text), spans))
                trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                                    "feature.possible_transitions": True})
                trainer.train(path)
                tagger = pycrfsuite.Tagger()
                tagger.open(path)
                results.append((c1, c2, round(span_f1(tagger, held), 4)))
                print(f"tune: c1={c1} c2={c2} held-out F1 {results[-1][2]:.4f}", flush=True)
        return results
    finally:
        features.affixes, features.lexicon = saved
