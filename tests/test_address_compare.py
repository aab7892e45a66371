"""compare(): exact / partial / none with reasons."""

import json
import math
import zlib

import pytest

from address_match import AddressError, compare, extract, normalize
from address_match.compare import prepared, relate, relate_sides
from address_match.pairs import FIELDS, RELATED, field_relation, field_relations, letter_filter, side, tail_inside
from address_match.scorer import Scorer, load_scorer
from address_match.scorer_training import LEVELS, held_out_accuracy, in_share, is_training_query, read_pairs, tokens_of
from tests.conftest import shared_data

CASES = [
    ("重庆市渝北区新牌坊二路12号3栋", "新牌坊二路十二号3号楼", "exact"),
    ("江苏省南京市秦淮区洪武路街道洪武路199号长发银座a座5楼", "洪武路199号长发银座A座", "exact"),
    ("灣仔區雲地利道25號雲臺別墅", "湾仔区云地利道25号云台别墅", "exact"),
    ("象屿两江公元10栋", "渝北区象屿两江公元20栋", "partial"),
    ("中关村北一街科源社区甲4楼1单元", "中关村北一街1附近科源社区(东门)", "partial"),
    ("南昌市桃花路439号财满街", "桃花路439号桃花玻璃店", "partial"),
    ("重庆市渝北区新牌坊二路12号", "重庆市渝北区新牌坊二路14号", "partial"),
    ("重庆市渝北区新牌坊二路12号金港国际3栋", "重庆市江北区观音桥步行街8号北城天街", "none"),
    ("重庆市渝北区龙溪街道金港国际", "重庆市江北区观音桥街道北城天街", "none"),
]


@pytest.mark.parametrize(("a", "b", "level"), CASES)
def test_compare_levels(a, b, level):
    verdict = compare(a, b)
    assert verdict.level == level, verdict.reasons
    assert 0.0 <= verdict.score <= 1.0
    assert all(isinstance(r, str) for r in verdict.reasons)


def test_exact_scores_above_none():
    assert compare(*CASES[0][:2]).score > compare(*CASES[-1][:2]).score


@pytest.mark.parametrize("bad", ["", "（）", " ,。-- "])
def test_bad_input(bad):
    with pytest.raises(AddressError):
        compare(bad, "重庆市渝北区")
    with pytest.raises(AddressError):
        compare("重庆市渝北区", bad)


@pytest.mark.parametrize(("a", "b", "reason"), [
    ("新牌坊二路12号金港国际3栋", "新牌坊二路14号金港国际3栋", "门牌"),
    ("新牌坊二路12号金港国际3栋", "新牌坊二路12号金港国际4栋", "楼栋"),
])
def test_exact_needs_door_and_building_to_agree(a, b, reason):
    assert compare(a, b).level != "exact", reason


@pytest.mark.parametrize(("field", "x", "y", "relation"), [
    ("road", "", "", "nn"),
    ("road", "新牌坊二路", "", "a"),
    ("name", "", "金港国际", "b"),
    ("roadno", "25-27", "25-27", "eq"),
    ("roadno", "25-27", "25", "head"),
    ("building", "3", "4", "ne"),
    ("name", "金港国际", "金港国际大厦", "in"),
    ("name", "金港国际", "北城天街", "r0"),
])
def test_field_relation(field, x, y, relation):
    assert field_relation(field, x, y) == relation


def test_scorer_tokens_and_probabilities():
    tokens = tokens_of("重庆市渝北区新牌坊二路12号3栋", "新牌坊二路十二号3号楼")
    assert {"road=eq", "roadno=eq", "building=eq", "district=a"} <= set(tokens)
    probs = load_scorer().probabilities(tokens)
    assert abs(sum(probs) - 1) < 1e-9 and probs[0] < 0.2
    assert load_scorer().probabilities(["never-seen-token"]) == load_scorer().probabilities([])


def test_scorer_was_trained_on_the_even_half_only():
    assert "even CRC32" in load_scorer().meta["trained_on"]
    assert all(is_training_query(q) == (zlib.crc32(q.encode()) % 2 == 0) for q in ("a", "b", "新牌坊二路"))


def test_field_relations_are_the_per_field_relations():
    fa, fb = extract("重庆市渝北区新牌坊二路12号金港国际3栋2单元"), extract("新牌坊二路14号金港国际大厦3栋")
    expected = {name: f"{name}={field_relation(name, x, y)}" for name, x, y in zip(FIELDS, fa, fb, strict=True)}
    assert RELATED == ("district", "town", "road", "roadno", "building")
    assert field_relations(fa, fb) == [expected[name] for name in RELATED]
    assert field_relations(fa, fb)[2:] == ["road=eq", "roadno=ne", "building=eq"]


@pytest.mark.parametrize(("a", "b", "token"), [
    ("新牌坊二路12号金港国际", "新牌坊二路14号金港国际大厦", "name=in"),
    ("新牌坊二路12号金港国际", "新牌坊二路12号金港国际", "name=eq"),
    ("新牌坊二路12号金港国际", "新牌坊二路12号", "name=a"),
    ("新牌坊二路12号金港花园", "新牌坊二路12号金港国际", "name=s1"),  # 1 of 3 character pairs shared
    ("新牌坊二路12号甲", "新牌坊二路12号乙", "name=s0"),
])
def test_name_token(a, b, token):
    assert token in tokens_of(a, b)


@pytest.mark.parametrize(("x", "y", "length"), [
    ("新牌坊二路12号金港国际", "金港国际3栋", 4),  # the POI name at the end is in the other text
    ("湖东二路与工业北路交汇处醉香花椒鸡", "迎宾大道与湖东二路交汇处往南400米路西醉香花椒鸡", 5),
    ("重庆市渝北区金港国际", "北城天街", 0),
    ("金港国际", "重庆市渝北区金港国际3栋", 4),  # all of x
])
def test_tail_inside(x, y, length):
    assert tail_inside(x, y) == length


@pytest.mark.parametrize(("a", "b", "expected"), [
    # they share 3 pairs (金港 港国 国际): 2 of the candidate's 5 and 8 of the query's 11 are not shared
    ("新牌坊二路12号金港国际", "金港国际3栋", {"ua_q=2", "ub_q=1", "uq=2|1", "bend=栋", "aend=际", "bend2=3栋"}),
    ("重庆市渝北区金港国际", "北城天街", {"ua_q=4", "ub_q=4", "uq=4|4", "bend=街", "bend2=天街"}),
    ("金港国际", "金港国际", {"ua_q=0", "ub_q=0", "uq=0|0", "bend=际|b_run=all", "bend=际|a_run=all"}),
    ("店", "店", {"ua_q=0", "ub_q=0", "bend=店", "bend2=店"}),  # one character: no pairs
])
def test_text_tokens(a, b, expected):
    assert expected <= set(tokens_of(a, b))


def test_side_keeps_distinct_vocabulary_letters_only():
    norm = normalize("真北路818号近铁城市广场北座西南2门")
    s = side(extract(norm), norm, letter_filter("门北路"))
    assert sorted(s.letters) == sorted("门北路") and len(s.letters) == 3
    assert s.name_pairs == tuple(s.fields.name[i : i + 2] for i in range(len(s.fields.name) - 1))
    assert "8" not in side(extract(norm), norm).letters  # training: every character but digits


def test_tokens_name_the_letters_only_one_side_has():
    tokens = tokens_of("真北路818号近铁城市广场北座", "真北路818号近铁城市广场北座西南2门", load_scorer().letters)
    assert "bo=门" in tokens and "ao=门" not in tokens
    assert not [t for t in tokens if t.startswith(("ao=", "bo=")) and t[3:] not in load_scorer().letters]


def test_scorer_probabilities_are_the_softmax_of_summed_weights():
    scorer = Scorer({"x": [0.5, -0.2, 0.1], "y": [0.0, 1.0, -1.0]}, [0.1, 0.2, 0.3], letters="门")
    probs = scorer.probabilities(["x", "y", "unknown"])
    scores = [0.1 + 0.5 + 0.0, 0.2 - 0.2 + 1.0, 0.3 + 0.1 - 1.0]
    total = sum(math.exp(v) for v in scores)
    assert probs == pytest.approx([math.exp(v) / total for v in scores], abs=1e-12)
    assert json.loads(scorer.to_json())["letters"] == "门"


@pytest.mark.parametrize(("text", "road", "roadno", "name"), [
    ("育才街中原御府营销接待中心", "育才街", "", "中原御府营销接待中心"),  # 中 begins the estate's name
    ("新添大道北段448号泉天下", "新添大道北", "448", "段泉天下"),  # a direction before 段 stays
    ("幸福路北5号", "幸福路北", "5", ""),
    ("新牌坊二路东50米金港超市", "新牌坊二路", "", "金港超市"),  # a distance is no door number
])
def test_extract_road_door_and_name(text, road, roadno, name):
    fields = extract(text)
    assert (fields.road, fields.roadno, fields.name) == (road, roadno, name)


def test_relate_on_extracted_fields_agrees_with_compare():
    a, b = "江苏省南京市秦淮区洪武路街道洪武路199号长发银座a座5楼", "洪武路199号长发银座A座"
    na, nb = normalize(a), normalize(b)
    assert relate(extract(a), extract(b), na, nb) == compare(a, b)


def test_relate_sides_with_a_scorer_given_uses_that_scorer():
    a, b = prepared("重庆市渝北区新牌坊二路12号3栋"), prepared("重庆市渝北区新牌坊二路14号")
    assert relate_sides(a, b, load_scorer()) == relate_sides(a, b)
    only_none = Scorer({}, [5.0, 0.0, 0.0])
    assert relate_sides(a, b, only_none).level == "none" != relate_sides(a, b).level


def test_held_out_accuracy_is_the_share_compare_gets_right():
    held = [r for r in read_pairs(shared_data("address_relevance/ccks2021_round1_dev.tsv"))
            if not is_training_query(r[0])][:300]
    right = sum(LEVELS[compare(q, c).level] == label for q, c, label in held)
    assert held_out_accuracy(load_scorer(), held) == right / len(held)
    assert held_out_accuracy(Scorer({}, [5.0, 0.0, 0.0]), held) < right / len(held)


def test_learning_curve_shares_are_nested_and_about_their_size():
    queries = [f"测试路{n}号" for n in range(4000)]
    for draw in range(3):
        picked = {share: {q for q in queries if in_share(q, share, draw)} for share in (0.25, 0.5, 0.75, 1.0)}
        assert picked[0.25] <= picked[0.5] <= picked[0.75] <= picked[1.0] == set(queries)
        assert 850 < len(picked[0.25]) < 1150 and 1850 < len(picked[0.5]) < 2150
    assert {q for q in queries if in_share(q, 0.5, 0)} != {q for q in queries if in_share(q, 0.5, 1)}


@pytest.mark.parametrize(("a", "b", "level"), [
    # the candidate is the building the query's company is in, named at the end of the query
    ("正洪街正洪里东宇大厦南京宝融实业有限公司", "正洪街18号(近淮海路)东宇大厦", "partial"),
    # the candidate is the building the query's floor is in
    ("真北路818号近铁城市广场北座二楼", "真北路818号近铁城市广场北座", "partial"),
    # the candidate adds a shop at the same door number
    ("南滩镇南塘街102号", "南滩镇南塘街102号工匠皮鞋", "partial"),
])
def test_compare_levels_the_pair_features_catch(a, b, level):
    assert compare(a, b).level == level


def test_a_company_named_in_full_on_both_sides_is_a_match():
    assert compare("东经济开发区发展大道2号山东力文医疗器械有限公司", "山东力文医疗器械有限公司").level != "none"
