"""Rebuild the shipped dictionaries, the parser model and the pair scorer from the shared data folder.

Run ``python -m address_match.train [--shared /work/shared/data] [--only scorer]``
(the ``make model`` target). Writes ``address_match/data/divisions.tsv.gz``,
``address_match/data/parser_tagger.npz`` (with ``parser_affixes.json`` and ``parser_lexicon.json``) and
``address_match/data/scorer.json``.
Training needs PyTorch (the tagger) and scikit-learn (the scorer): ``pip install -e '.[train]'``,
which ``make model`` does. Inference needs neither.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .dictionaries import write_divisions

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NETWORKS = 4  # the shipped parser_tagger.npz holds four (w_in has 8 = 4 × 2 directions)


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


def train_parser(train_file: Path, aux_file: Path, model_file: Path, networks: int) -> None:
    """Learn the span affix table and the span lexicon (``parser_affixes.json``,
    ``parser_lexicon.json``, beside the model) from the training file, then train ``networks``
    BiLSTM-CRFs (seeds 1…n) and save them together (``tagger_training``). ``aux_file``, a corpus
    with other labelling conventions, trains the networks' shared layers through its own output."""
    from . import features as feats
    from .parse import LABELS
    from .tagger_training import bioes_tags, examples_from_gold, train_tagger

    gold = read_gold(train_file)
    _write_json(model_file.parent / feats.AFFIX_FILE, feats.learn_affixes(gold))
    _write_json(model_file.parent / feats.LEXICON_FILE, feats.learn_lexicon(gold))
    feats.affixes.cache_clear()
    feats.lexicon.cache_clear()
    train_tagger(examples_from_gold(gold, LABELS), bioes_tags(LABELS), model_file,
                 seeds=tuple(range(1, networks + 1)), auxiliary=auxiliary_corpus(aux_file))


def auxiliary_corpus(path: Path):
    """The swei412 training split as an ``Auxiliary`` corpus, with its own label set."""
    from .tagger_training import Auxiliary, bioes_tags, examples_from_gold

    gold = [row for row in read_gold(path) if row[0]]
    labels = tuple(sorted({s[0] for _, spans in gold for s in spans}))
    return Auxiliary(examples_from_gold(gold, labels, jackknife=False), bioes_tags(labels))


def _write_json(path: Path, table: dict) -> None:
    path.write_text(json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    shared = Path(args.shared)
    parsing = shared / "address_parsing"
    started = time.perf_counter()
    if args.tune:
        from .parser_tuning import tune

        tune(read_gold(parsing / "naacl2019_train.jsonl"), parsing / "swei412_train.jsonl",
             tuple(range(1, args.networks + 1)))
        return
    if args.only in ("all", "parser"):
        rows = write_divisions(shared / "admin_divisions", DATA_DIR / "divisions.tsv.gz")
        print(f"divisions: {rows} rows")
        from .divisions import gazetteer

        gazetteer.cache_clear()
        model = DATA_DIR / "parser_tagger.npz"
        train_parser(parsing / "naacl2019_train.jsonl", parsing / "swei412_train.jsonl", model, args.networks)
        print(f"parser model: {model} ({model.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
    if args.only in ("all", "scorer"):
        from .scorer_training import train_scorer

        stats = train_scorer(shared / "address_relevance" / "ccks2021_round1_dev.tsv", DATA_DIR / "scorer.json")
        print(f"scorer: {stats} in {time.perf_counter() - started:.0f} s")
    if args.only == "curve":
        from .scorer_training import learning_curve

        for point in learning_curve(shared / "address_relevance" / "ccks2021_round1_dev.tsv"):
            print(f"{point['pairs']:>6} training pairs: held-out accuracy {point['accuracy']:.4f} {point['draws']}")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(DEFAULT_SHARED), help="shared data folder")
    parser.add_argument("--networks", type=int, default=NETWORKS, help="BiLSTM-CRFs averaged in the parser")
    parser.add_argument("--only", choices=("all", "parser", "scorer", "curve"), default="all",
                        help="train only the parser (with the dictionaries) or only the pair scorer; curve: "
                             "write nothing, report the scorer's held-out accuracy against training pairs")
    parser.add_argument("--tune", action="store_true",
                        help="only report the parser's F1 on a held-out seventh of the training file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
