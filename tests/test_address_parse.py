"""parse(): labelled components with offsets over the original text; division resolution."""

from pathlib import Path

import pytest

from address_match import AddressError, parse, resolve
from address_match.features import jackknife_lexicons, learn_affixes, learn_lexicon, sentence_features
from address_match.parse import LABELS, spans_to_tags, tags_to_spans
from address_match.parser_tuning import span_f1, split
from address_match.train import read_gold

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NAACL_DEV = SHARED / "address_parsing" / "naacl2019_dev.jsonl"

CASES = [
    ("重庆市渝北区新牌坊二路123号3栋", [("city", "重庆市"), ("district", "渝北区"), ("road", "新牌坊二路"),
                                       ("roadno", "123号"), ("houseno", "3栋")]),
    ("浙江省杭州市余杭区五常街道文一西路969号", [("prov", "浙江省"), ("city", "杭州市"), ("district", "余杭区"),
                                               ("town", "五常街道"), ("road", "文一西路"), ("roadno", "969号")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_known(text, expected):
    assert [(c.label, c.text) for c in parse(text)] == expected


@pytest.mark.parametrize("text", ["重慶市渝北區 新牌坊二路１２３號3棟", "灣仔區雲地利道25號雲臺別墅", "  江北区观音桥步行街 8号 "])
def test_offsets_point_into_original(text):
    comps = parse(text)
    assert comps and all(text[c.start : c.end] == c.text for c in comps)
    assert all(c.label in LABELS for c in comps)
    assert all(a.end <= b.start for a, b in zip(comps, comps[1:], strict=False))


@pytest.mark.parametrize(("names", "level", "expected"), [
    (["重庆", "渝北"], "district", "渝北区"),
    (["重庆", "渝北"], "prov", "重庆市"),
    (["长春", "朝阳区"], "city", "长春市"),
    (["朝阳区", "北京"], "city", "北京市"),
    (["南京", "鼓楼区"], "prov", "江苏省"),
])
def test_resolve(names, level, expected):
    assert resolve(names).name(level) == expected


def test_resolve_shared_name_is_flagged():
    assert resolve(["鼓楼区"]).ambiguous


@pytest.mark.parametrize("bad", ["", "x" * 501])
def test_bad_input(bad):
    with pytest.raises(AddressError):
        parse(bad)


def test_dev_sample_f1_floor():
    assert NAACL_DEV.exists(), f"missing shared data file {NAACL_DEV} (expected beside the repo)"
    f1 = span_f1(lambda text: [(c.label, c.start, c.end) for c in parse(text)], read_gold(NAACL_DEV)[:200])
    assert f1 >= 0.88, f"parse F1 on 200 NAACL dev lines fell to {f1:.3f} (the shipped model scores 0.926)"


@pytest.mark.parametrize(("gold", "side", "gram", "label"), [
    ([("金港大厦", [("poi", 0, 4)])] * 5, "end", "大厦", "poi"),
    ([("金港大厦", [("poi", 0, 4)])] * 5, "start", "金港", "poi"),
    ([("金港大厦", [("poi", 0, 4)])] * 4, "end", "大厦", None),  # below the minimum count
    ([("金港大厦", [("poi", 0, 4)])] * 3 + [("金港大厦", [("subpoi", 0, 4)])] * 3, "end", "大厦", None),
])
def test_learn_affixes(gold, side, gram, label):
    assert learn_affixes(gold)[side].get(gram) == label


def test_tuning_split_holds_out_every_seventh_line():
    fit, held = split(list(range(70)))
    assert len(held) == 10 and not set(fit) & set(held)


@pytest.mark.parametrize("spans", [
    [("city", 0, 3), ("district", 3, 6), ("roadno", 6, 7), ("poi", 7, 11)],
    [("poi", 0, 2), ("poi", 2, 4), ("redundant", 5, 6)],
])
def test_bioes_tags_round_trip(spans):
    tags = spans_to_tags(12, spans)
    assert tags_to_spans(tags) == spans
    assert {t[0] for t in tags} <= set("BIESO")


def test_spans_from_bio_tags_still_read():
    assert tags_to_spans(["B-road", "I-road", "B-roadno", "O", "I-poi"]) == [("road", 0, 2), ("roadno", 2, 3),
                                                                          ("poi", 4, 5)]


def test_learn_lexicon_keeps_repeated_open_class_spans():
    gold = [("金港国际附近", [("poi", 0, 4), ("assist", 4, 6)])] * 2 + [("重庆市", [("city", 0, 3)])] * 2
    assert learn_lexicon(gold) == {"金港国际": "poi", "附近": "assist"}
    assert learn_lexicon(gold[:1]) == {}


def test_jackknife_lexicon_leaves_out_its_own_fold():
    gold = [("金港国际", [("poi", 0, 4)])] * 2 + [("北城天街", [("poi", 0, 4)])] * 8
    folds = jackknife_lexicons(gold, folds=5)
    assert "金港国际" not in folds[0] and "金港国际" not in folds[1]
    assert all("北城天街" in fold for fold in folds)


def test_lexicon_marks_span_in_features():
    feats = sentence_features("金港国际3栋", {"金港国际": "poi"})
    assert "lx=poi:B" in feats[0] and "lx=poi:E" in feats[3] and not any(f.startswith("lx=") for f in feats[4])
