"""Name vocabularies for the demo district: roads, buildings, firms, people, schools.

All draws take a ``numpy.random.Generator`` so that a seed fixes every name.
"""

from __future__ import annotations

import numpy as np

PLACE_FIRST = list("金银龙凤桂兰松竹梅荷星光华新宝安和康泰兴嘉祥瑞锦翠碧青紫红东西南北中长永福富荣昌盛隆天云霞虹"
                   "湖山川江溪泉林园花桃杏柳杨枫柏桐民仁德善美乐欣悦怡雅静宁清明朗晴春秋晨曦辉耀腾飞翔鸿鹏鹤凯胜达"
                   "通顺远航港空礼同茂馨羽双高白")
PLACE_SECOND = list("华兴山湖园溪林桥湾坪坝塘岭坡岗苑庭府城门源泉河港阳光明福康安宁泰盛昌隆丰茂荣锦秀翠桂兰竹松"
                    "柏梅枫桐柳峰岩石台亭阁龙凤鹤池井院")
ARTERIALS = ["金开大道", "金渝大道", "渝鲁大道", "兰桂大道", "同茂大道", "桂馥大道", "新南路", "龙华大道"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
                "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
                "武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力群波宁斌鹏飞俊峰亮志红梅琳雪婷"
             "欣怡浩宇子涵梓轩思雨佳琪晨阳嘉鑫雨萱浩然一诺博文宏瑞琴凤丹露倩颖晶莉燕慧巧美娅春燕小龙德福")
BRAND_CHARS = list("鑫源恒泰瑞祥博远德盛华宇晟嘉创达正通隆兴昌荣信诚睿智联盈丰汇融启航卓越腾飞中天新锐优佳美"
                   "合力众安星辰宏图聚金科凯伦蓝海云端数智易达顺捷万和乐享悦百川")
OFFICE_SUFFIX = ["大厦", "中心", "国际", "广场", "大楼", "商务中心", "金融中心"]
RESIDENTIAL_SUFFIX = ["花园", "小区", "苑", "公馆", "家园", "新城", "雅居"]
COMMERCIAL_SUFFIX = ["商场", "购物广场", "商业街", "天街", "市场"]
INDUSTRIAL_SUFFIX = ["产业园", "工业园", "科技园", "厂区"]


def place_roots(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct two-character place roots such as 金湖, 桂溪 (shuffled)."""
    first, second = np.meshgrid(np.array(PLACE_FIRST), np.array(PLACE_SECOND), indexing="ij")
    pairs = np.char.add(first.ravel(), second.ravel())
    pairs = pairs[np.array([a[0] != a[1] for a in pairs])]
    pairs = np.unique(pairs)
    rng.shuffle(pairs)
    if n > len(pairs):
        raise ValueError(f"only {len(pairs)} place roots for {n} names")
    return pairs[:n]


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic Chinese personal names: a common surname and one or two given characters."""
    sur = np.array(SURNAMES)[np.minimum(rng.zipf(1.25, n) - 1, len(SURNAMES) - 1)]
    g1 = rng.choice(GIVEN, n)
    g2 = np.where(rng.random(n) < 0.7, rng.choice(GIVEN, n), "")
    return np.char.add(np.char.add(sur, g1), g2).astype(object)


def brand_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two-character trade names (字号) like 鑫源, 博远."""
    a, b = rng.choice(BRAND_CHARS, n), rng.choice(BRAND_CHARS, n)
    same = a == b
    b[same] = rng.choice(BRAND_CHARS, int(same.sum()))
    return np.char.add(a, b).astype(object)


def building_names(rng: np.random.Generator, use: np.ndarray) -> np.ndarray:
    """A distinct name per building by use (office 大厦/中心, residential 花园/苑 …)."""
    suffixes = {"office": OFFICE_SUFFIX, "residential": RESIDENTIAL_SUFFIX,
                "commercial": COMMERCIAL_SUFFIX, "industrial": INDUSTRIAL_SUFFIX}
    n = len(use)
    brand = np.char.add(rng.choice(BRAND_CHARS, n), rng.choice(PLACE_SECOND, n))
    out = np.empty(n, dtype=object)
    for kind, words in suffixes.items():
        mask = use == kind
        out[mask] = np.char.add(brand[mask], rng.choice(words, int(mask.sum())))
    return out


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mobile numbers of the 13x–19x series (synthetic)."""
    prefix = rng.choice(["138", "139", "135", "136", "150", "151", "158", "177", "180", "186", "189", "199"], n)
    rest = rng.integers(0, 10**8, n)
    return np.char.add(prefix, np.char.zfill(rest.astype(str), 8)).astype(object)
