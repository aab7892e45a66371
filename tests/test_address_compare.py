"""compare(): exact / partial / none with reasons."""

import pytest

from address_match import AddressError, compare

CASES = [
    ("重庆市渝北区新牌坊二路12号3栋", "新牌坊二路十二号3号楼", "exact"),
    ("江苏省南京市秦淮区洪武路街道洪武路199号长发银座a座5楼", "洪武路199号长发银座A座", "exact"),
    ("灣仔區雲地利道25號雲臺別墅", "湾仔区云地利道25号云台别墅", "exact"),
    ("象屿两江公元10栋", "渝北区象屿两江公元20栋", "partial"),
    ("中关村北一街科源社区甲4楼1单元", "中关村北一街1附近科源社区(东门)", "partial"),
    ("南昌市桃花路439号财满街", "桃花路439号桃花玻璃店", "partial"),
    ("重庆市渝北区新牌坊二路12号", "重庆市渝北区新牌坊二路14号", "partial"),
    ("河南省巩义市新华路街道办事处桐和街6号钢苑新区3号楼一单元", "桐和街佳乐钢琴", "none"),
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
