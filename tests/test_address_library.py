"""AddressLibrary: indexed matching of messy input against a small library."""

import pytest

from address_match import AddressError, AddressLibrary

ROWS = [
    (1, "重庆市渝北区新牌坊二路12号金港国际3栋", 106.51, 29.61, "B1"),
    (2, "重庆市渝北区新牌坊二路12号金港国际4栋", 106.51, 29.61, "B2"),
    (3, "重庆市渝北区新牌坊一路12号3栋", 106.52, 29.62, "B3"),
    (4, "重庆市江北区观音桥步行街8号北城天街", 106.53, 29.58, "B4"),
    (5, "灣仔區雲地利道25-27號雲臺別墅", 114.186, 22.271, "HK1"),
    (6, "中西區加多近街52-60號西環邨東苑臺1樓102室", 114.126, 22.281, "HK2"),
]


@pytest.fixture(scope="module")
def library():
    return AddressLibrary(ROWS)


@pytest.mark.parametrize(("query", "expected"), [
    ("新牌坊二路十二号金港国际3号楼", 1),
    ("渝北新牌坊2路12号金港国际4栋", 2),
    ("新牌芳二路12号金港国际3栋", 1),
    ("新牌坊一路 １２号 3幢", 3),
    ("观音桥步行街八号北城天街", 4),
    ("云地利道25-27号云台别墅", 5),
    ("加多近街52-60号西环邨东苑台1楼102室", 6),
])
def test_match_top1(library, query, expected):
    top = library.match(query, k=3)
    assert top and top[0].address_id == expected, top


def test_len_get_and_levels(library):
    assert len(library) == len(ROWS)
    assert library.get(4).building_id == "B4"
    assert library.get("missing") is None
    assert library.match("新牌坊二路12号金港国际3栋")[0].level == "exact"


@pytest.mark.parametrize(("entry", "query"), [
    ("重庆市渝北区仙桃街道空府街35号", "重庆市渝北区空府街35号"),
    ("重庆市渝北区双龙湖街道福安街12号", "渝北区福安街12号"),
    ("上海市黄浦区南京东路100号", "上海黄浦区南京东路100号"),
])
def test_a_street_or_town_named_after_a_city_is_no_other_district(entry, query):
    """仙桃街道, 福安街 and 南京东路 once read as 仙桃市, 福安市 and 南京市: the query then named "another
    district" than the library's and matched nothing."""
    top = AddressLibrary([(1, entry, 106.5, 29.6, "B1")]).match(query, k=1)
    assert top and top[0].address_id == 1 and top[0].level == "exact", top


def test_no_candidates_for_unknown_place(library):
    assert library.match("上海市浦东新区世纪大道100号") == []


def test_bad_input(library):
    with pytest.raises(AddressError):
        library.match("")


def test_a_distance_from_a_road_is_no_door_number():
    """Map services place a POI "路东50米" (50 m east of the road): that 50 once matched door 50 exactly."""
    lib = AddressLibrary([(1, "重庆市渝北区新牌坊二路50号", 106.5, 29.6, "B1"),
                          (2, "重庆市渝北区新牌坊二路12号金港超市", 106.5, 29.6, "B2")])
    top = lib.match("重庆市渝北区新牌坊二路东50米金港超市", k=2)
    assert top[0].address_id == 2 and top[0].components.road == "新牌坊二路", top
    assert all(c.address_id != 1 or c.level != "exact" for c in top)


@pytest.mark.parametrize(("query", "expected"), [
    ("中西區普安道16號", 1),  # the middle character mistyped: no bigram in common with 普樂道
    ("油尖旺區福油街126號", 2),  # not the shorter road 油街 that its tail spells
])
def test_a_mistyped_short_road_still_finds_its_door(query, expected):
    lib = AddressLibrary([(1, "中西區普樂道16號", 114.15, 22.28, "H1"), (2, "油尖旺區豉油街126號", 114.17, 22.31, "H2"),
                          (3, "東區油街23號", 114.19, 22.29, "H3"), (4, "中西區普慶坊5號", 114.15, 22.28, "H4")])
    top = lib.match(query, k=1)
    assert top and top[0].address_id == expected, top
