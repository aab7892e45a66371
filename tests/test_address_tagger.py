"""The parser's numpy tagger: the same forward pass as the PyTorch networks it was trained as,
and only well-formed BIOES sequences out of its Viterbi pass."""

import json
from pathlib import Path

import numpy as np
import pytest

from address_match.features import fold
from address_match.tagger import Tagger, transition_masks
from address_match.tagger_training import Example, Vocabulary, bioes_tags, examples_from_gold, export

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def tiny():
    with np.load(FIXTURES / "tagger_tiny.npz") as arrays:
        tagger = Tagger(arrays)
    return tagger, json.loads((FIXTURES / "tagger_tiny.json").read_text(encoding="utf-8"))


def test_numpy_emissions_match_pytorch(tiny):
    tagger, case = tiny
    got = tagger.emissions(fold(case["text"]), case["features"])
    assert tagger.size == 2
    np.testing.assert_allclose(got, np.array(case["emissions"]), atol=1e-4)


def test_emissions_ignore_unknown_features(tiny):
    tagger, case = tiny
    plain = tagger.emissions(fold(case["text"]), case["features"])
    noisy = tagger.emissions(fold(case["text"]), [names + ["never-seen=1"] for names in case["features"]])
    np.testing.assert_array_equal(plain, noisy)


def _well_formed(tags: list[str]) -> bool:
    tag_set = sorted(set(tags) | {"O"})
    trans, start, end = transition_masks(tag_set)
    index = {t: i for i, t in enumerate(tag_set)}
    steps = zip(tags, tags[1:], strict=False)
    return (start[index[tags[0]]] == 0 and end[index[tags[-1]]] == 0
            and all(trans[index[a], index[b]] == 0 for a, b in steps))


@pytest.mark.parametrize("text", ["重庆市渝北区新牌坊二路12号", "号", "12号3栋501室", "庆庆庆庆庆"])
def test_viterbi_gives_well_formed_bioes(tiny, text):
    tagger, _ = tiny
    tags = tagger.tag(fold(text), [[] for _ in text])
    assert len(tags) == len(text) and _well_formed(tags)


def test_empty_text_has_no_tags(tiny):
    assert tiny[0].tag("", []) == []


def test_masks_forbid_broken_spans():
    tags = ["O", "B-road", "I-road", "E-road", "S-road", "B-poi", "E-poi"]
    trans, start, end = transition_masks(tags)
    i = {t: k for k, t in enumerate(tags)}
    assert trans[i["B-road"], i["E-road"]] == 0 and trans[i["B-road"], i["E-poi"]] < 0
    assert trans[i["E-road"], i["I-road"]] < 0 and trans[i["O"], i["B-poi"]] == 0
    assert start[i["I-road"]] < 0 and end[i["B-poi"]] < 0 and end[i["S-road"]] == 0


def test_training_examples_keep_known_labels_and_drop_overlaps():
    gold = [("重庆市渝北区12号", [("city", 0, 3), ("district", 3, 6), ("village", 3, 5), ("roadno", 6, 9)])]
    (example,) = examples_from_gold(gold, ("city", "district", "roadno"), jackknife=False)
    assert example.tags == ["B-city", "I-city", "E-city", "B-district", "I-district", "E-district",
                            "B-roadno", "I-roadno", "E-roadno"]
    (aux,) = examples_from_gold(gold, ("city", "district", "village"), jackknife=False)
    assert aux.tags[3:6] == ["B-district", "I-district", "E-district"]   # the later, overlapping span goes
    assert len(example.features) == len(example.chars) == 9


def test_vocabulary_keeps_every_character_but_only_repeated_pairs_and_features():
    examples = [Example("ab", [["f1"], ["f2"]], ["O", "O"]), Example("ab", [["f1"], []], ["O", "O"])]
    vocab = Vocabulary.from_examples(examples, ["O"], more_text=("xy",))
    assert vocab.chars == ["a", "b", "x", "y"]
    assert vocab.pairs == ["^a", "ab", "b$"] and vocab.features == ["f1"]


def test_export_writes_what_the_tagger_reads(tmp_path):
    vocab = Vocabulary(bioes_tags(("road",)), ["路"], ["^路"], ["t=HHH"])
    rng = np.random.default_rng(3)
    shapes = {"chars.weight": (3, 4), "pairs.weight": (3, 2), "features.weight": (2, 3), "out.weight": (5, 6),
              "out.bias": (5,), "trans": (5, 5), "start": (5,), "end": (5,)}
    for d in ("", "_reverse"):
        shapes |= {f"lstm.weight_ih_l0{d}": (12, 11), f"lstm.weight_hh_l0{d}": (12, 3),
                   f"lstm.bias_ih_l0{d}": (12,), f"lstm.bias_hh_l0{d}": (12,)}
    states = [{k: rng.normal(size=s).astype(np.float32) for k, s in shapes.items()} for _ in range(3)]
    export(states, vocab, tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz") as arrays:
        assert arrays["w_in"].dtype == np.float16 and arrays["b_in"].dtype == np.float32
        tagger = Tagger(arrays)
    assert tagger.size == 3 and tagger.emissions("路路", [[], ["t=HHH"]]).shape == (2, 5)
    expected = np.mean([s["trans"] for s in states], 0) + transition_masks(vocab.tags)[0]
    np.testing.assert_allclose(tagger.trans, expected, rtol=1e-6)   # transitions averaged, then masked
