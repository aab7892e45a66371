"""Rebuild the shipped dictionaries, the parser model and the pair scorer from the shared data folder.

Run ``python -m address_match.train [--shared /work/shared/data] [--only scorer]``
(the ``make model`` target). Writes ``address_match/data/divisions.tsv.gz``,
``address_match/data/parser.crfsuite`` (with ``parser_affixes.json`` and ``parser_lexicon.json``) and
``address_match/data/scorer.json``.
Training the scorer needs scikit-learn (a training-only dependency; inference does not).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .dictionaries import write_divisions

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def read_gold(path: Path) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """(text, [(label, start, end)]) from a NAACL-style jsonl file; labels lower-cased."""
    if not path.exists():
        raise FileNotFoundError(f"missing shared data file: {path}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.append((row["text"], [(e["label"].lower(), e["start"], e["end"]) for e in row["entities"]]))
    return out


def train_parser(train_file: Path, model_file: Path, iterations: int) -> None:
    """Learn the span affix table and the span lexicon (``parser_affixes.json``,
    ``parser_lexicon.json``, beside the model) from the same training file, then fit the CRF
    (BIOES tags, L-BFGS with small L1/L2) and save it. Each training line sees the lexicon
    learnt without its own fold (``features.jackknife_lexicons``)."""
    import pycrfsuite

    from . import features as feats
    from .parse import spans_to_tags

    gold = read_gold(train_file)
    _write_json(model_file.parent / feats.AFFIX_FILE, feats.learn_affixes(gold))
    _write_json(model_file.parent / feats.LEXICON_FILE, feats.learn_lexicon(gold))
    feats.affixes.cache_clear()
    feats.lexicon.cache_clear()
    folds = feats.jackknife_lexicons(gold)
    trainer = pycrfsuite.Trainer(verbose=False)
    for i, (text, spans) in enumerate(gold):
        trainer.append(feats.sentence_features(text, folds[i % feats.LEXICON_FOLDS]), spans_to_tags(len(text), spans))
    trainer.set_params({"c1": 0.02, "c2": 0.05, "max_iterations": iterations,
                        "feature.possible_transitions": True, "feature.minfreq": 1})
    trainer.train(str(model_file))


def _write_json(path: Path, table: dict) -> None:
    path.write_text(json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    shared = Path(args.shared)
    started = time.perf_counter()
    if args.tune:
        from .parser_tuning import tune

        tune(read_gold(shared / "address_parsing" / "naacl2019_train.jsonl"), args.iterations)
        return
    if args.only in ("all", "parser"):
        rows = write_divisions(shared / "admin_divisions", DATA_DIR / "divisions.tsv.gz")
        print(f"divisions: {rows} rows")
        from .divisions import gazetteer

        gazetteer.cache_clear()
        model = DATA_DIR / "parser.crfsuite"
        train_parser(shared / "address_parsing" / "naacl2019_train.jsonl", model, args.iterations)
        print(f"parser model: {model} ({model.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
    if args.only in ("all", "scorer"):
        from .scorer_training import train_scorer

        stats = train_scorer(shared / "address_relevance" / "ccks2021_round1_dev.tsv", DATA_DIR / "scorer.json")
        print(f"scorer: {stats} in {time.perf_counter() - started:.0f} s")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(DEFAULT_SHARED), help="shared data folder")
    parser.add_argument("--iterations", type=int, default=250, help="L-BFGS iterations")
    parser.add_argument("--only", choices=("all", "parser", "scorer"), default="all",
                        help="train only the parser (with the dictionaries) or only the pair scorer")
    parser.add_argument("--tune", action="store_true",
                        help="only report parser c1/c2 choices on a held-out seventh of the training file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
