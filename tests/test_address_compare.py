"""compare(): exact / partial / none with reasons."""

import zlib

import pytest

from address_match import AddressError, compare
from address_match.pairs import field_relation
from address_match.scorer import load_scorer
from address_match.scorer_training import is_training_query, tokens_of

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


def test_bad_input():
    with pytest.raises(AddressError):
        compare("", "重庆市渝北区")


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
