"""Registered addresses the way people write them, from the library's standard text.

Each rule touches a random share of rows: prefixes 重庆市/渝北区 or the street dropped, 层→楼,
building numbers added as 栋/幢/号楼, Chinese numerals, full-width digits, a one-character
homophone typo, a missing 号, stray punctuation. Vectorised over a ``pandas.Series``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

CN_DIGITS = "零一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
HOMOPHONES = {"龙": "隆", "金": "今", "兴": "星", "华": "化", "新": "心", "桂": "贵", "湖": "胡", "园": "圆",
              "山": "衫", "溪": "西", "林": "琳", "花": "华", "宝": "保", "安": "按", "康": "慷", "泰": "太",
              "嘉": "佳", "锦": "金", "翠": "萃", "青": "清", "东": "冬", "南": "楠", "和": "合", "长": "常"}
_FLOOR = re.compile(r"(\d+)层")
_TYPO = re.compile("[" + "".join(HOMOPHONES) + "]")


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals as written in addresses: 12 → 十二, 20 → 二十."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def _apply(text: pd.Series, mask: np.ndarray, fn) -> pd.Series:
    if mask.any():
        text = text.copy()
        text[mask] = fn(text[mask])
    return text


def messy_addresses(standard: pd.Series, towns: pd.Series, poi_names: pd.Series,
                    rng: np.random.Generator) -> pd.Series:
    """Registered-address spellings of ``standard`` texts (most rows differ from them)."""
    n = len(standard)
    r = lambda p: rng.random(n) < p  # noqa: E731 - one draw per rule, read in order below
    text = standard.reset_index(drop=True)
    towns, poi_names = towns.reset_index(drop=True), poi_names.reset_index(drop=True)
    drop_city, drop_district, drop_town = r(0.45), r(0.2), r(0.25)
    text = _apply(text, drop_town, lambda s: pd.Series([a.replace(t, "", 1) for a, t in zip(s, towns[s.index], strict=True)],
                                                       index=s.index))
    text = _apply(text, drop_city, lambda s: s.str.replace("重庆市", "", n=1, regex=False))
    text = _apply(text, drop_city & drop_district, lambda s: s.str.replace("渝北区", "", n=1, regex=False))
    has_poi = poi_names.notna().to_numpy()
    block = has_poi & r(0.12)
    word = rng.choice(["栋", "幢", "号楼", "座"], n)
    text = _apply(text, block, lambda s: pd.Series(
        [a.replace(p, p + str(k) + w, 1) for a, p, k, w in zip(s, poi_names[s.index],
                                                              rng.integers(1, 9, len(s)), word[s.index], strict=True)],
        index=s.index))
    text = _apply(text, r(0.3), lambda s: s.str.replace("层", "楼", regex=False))
    text = _apply(text, r(0.15), lambda s: s.str.replace(_FLOOR, lambda m: chinese_number(int(m[1]) % 100) + "层",
                                                         regex=True))
    text = _apply(text, r(0.15), lambda s: s.str.replace("室", "", regex=False))
    text = _apply(text, r(0.08), lambda s: s.str.replace("号", "", n=1, regex=False))
    text = _apply(text, r(0.05), lambda s: s.str.replace(_TYPO, lambda m: HOMOPHONES[m[0]], n=1, regex=True))
    text = _apply(text, r(0.1), lambda s: s.str.translate(FULL_WIDTH))
    text = _apply(text, r(0.05), lambda s: s.str.replace("号", "号，", n=1, regex=False))
    same = (text == standard.reset_index(drop=True)).to_numpy() & r(0.85)
    text = _apply(text, same, lambda s: s.str.replace("重庆市", "", n=1, regex=False))
    return pd.Series(text.to_numpy(), index=standard.index)
