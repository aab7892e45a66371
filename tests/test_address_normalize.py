"""normalize(): one canonical spelling per address, idempotent, typed errors."""

import pytest

from address_match import AddressError, normalize

CASES = [
    ("重慶渝北區龍溪街道 新牌坊二路一百二十三號三號樓5F", "重庆市渝北区龙溪街道新牌坊二路123号3栋5层"),
    ("重庆渝北新牌坊二路12号", "重庆市渝北区新牌坊二路12号"),
    ("１２＃楼３单元", "12栋3单元"),
    ("灣仔區雲地利道25-27號雲臺別墅", "湾仔区云地利道25-27号云台别墅"),
    ("北京市朝阳区三里屯路十九号", "北京市朝阳区三里屯路19号"),
    ("五里店一品小区十二栋", "五里店一品小区12栋"),
    ("二郎科技新城3幢", "二郎科技新城3栋"),
    ("河南省巩义市新华路街道办事处桐和街6号", "河南省巩义市新华路街道桐和街6号"),
    ("竹海水韵春风里12-3-1001", "竹海水韵春风里12-3-1001"),
    ("六和路----东信大道(东门)", "六和路东信大道东门"),
    ("A座三楼301房", "A栋3层301室"),
    ("新牌坊2路", "新牌坊二路"),
    ("南京路100号", "南京路100号"),
    # a street or town named after a division, past a division chain, keeps its name
    ("上海市黄浦区南京东路100号", "上海市黄浦区南京东路100号"),
    ("重庆市渝北区仙桃街道空府街35号", "重庆市渝北区仙桃街道空府街35号"),
    ("渝北区福安街12号", "渝北区福安街12号"),
    ("上海市杨浦区大连路850号", "上海市杨浦区大连路850号"),
    ("上海浦东大道185弄20号", "上海市浦东大道185弄20号"),
    ("重庆市渝北中山二路", "重庆市渝北区中山二路"),
    # the chain only goes down: a district's name after a district begins something else
    ("六合区金牛湖街道长山社区", "六合区金牛湖街道长山社区"),
    ("京口区江南世家3幢", "京口区江南世家3栋"),
    ("河北保定安国市", "河北保定市安国市"),  # 河北 is 河北省 or 河北区: a province still fits
    # a former name is written as the current one, never the other way round
    ("江苏省南京市溧水县永阳镇", "江苏省南京市溧水区永阳镇"),
    ("宁波奉化市桃园路75-10号", "宁波市奉化区桃园路75-10号"),
    ("上海市浦东区锦绣路4453弄", "上海市浦东新区锦绣路4453弄"),
    ("南城区东莞大道1号", "南城区东莞大道1号"),
    ("第三期二单元", "第3期2单元"),
    ("共和新路五三〇八弄二〇一室", "共和新路5308弄201室"),  # 〇 is a zero, not punctuation
    ("华灵路一九OO弄35号楼", "华灵路1900弄35栋"),  # and so is O among Chinese numerals
    ("OPPO专卖店", "OPPO专卖店"),
    ("郑州市二七区大学路十二号", "郑州市二七区大学路12号"),  # a division's name keeps its numerals
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", [c[0] for c in CASES] + ["进港路1918号A幢楼895室", "重庆 江北 观音桥"])
def test_idempotent(raw):
    once = normalize(raw)
    assert normalize(once) == once


@pytest.mark.parametrize("bad", ["", "   ", "路" * 501, None, 42])
def test_bad_input(bad):
    with pytest.raises(AddressError):
        normalize(bad)
