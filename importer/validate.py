"""Per-row validation: every problem of a row, in Chinese and English, checked column-wise (vectorised).

``validate_frame`` turns the file's strings into typed values and collects reasons; a row with any
reason is rejected, never silently fixed. Checks: required fields, USCC checksum (GB 32100,
``app.demo.uscc.is_valid_uscc``), dates (``2025/13/01`` is refused), amounts, known codes
(status, credit kinds, place kinds, roles, grid codes), cell overflow, and duplicates of the
natural key inside the file. Coordinates are checked by ``importer.coords``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from app.demo.uscc import ALPHABET, WEIGHTS
from importer.kinds import CREDIT_KINDS, POI_KINDS, STAFF_ROLES, STATUSES, Field, Kind
from importer.readers import EXTRA

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INDUSTRY = re.compile(r"^[A-T]?(\d{2,4})$")
_SPLIT_CODES = re.compile(r"[,，、;；|\s]+")
EARLIEST = dt.date(1949, 10, 1)
_TRUE = {"是", "在岗", "有效", "true", "1", "y", "yes", "正常", "启用"}
_FALSE = {"否", "离岗", "无效", "false", "0", "n", "no", "停用", "离职"}


@dataclass
class Problems:
    """Reasons per row position, added check by check; rows keep every reason they collect."""

    n: int
    zh: dict[int, list[str]] = field(default_factory=dict)
    en: dict[int, list[str]] = field(default_factory=dict)

    def add(self, mask, zh: str, en: str, values=None) -> None:
        """Reason for every position where ``mask`` holds; ``{v}`` in the texts takes the row's value."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        vals = None if values is None else np.asarray(values, dtype=object)[positions]
        for i, pos in enumerate(positions):
            v = "" if vals is None else vals[i]
            self.zh.setdefault(int(pos), []).append(zh.format(v=v))
            self.en.setdefault(int(pos), []).append(en.format(v=v))

    def mask(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[list(self.zh)] = True
        return out

    def frame(self, row_no: np.ndarray) -> pd.DataFrame:
        positions = sorted(self.zh)
        return pd.DataFrame({"position": positions, "row_no": row_no[positions].astype(int),
                             "reason_zh": ["；".join(self.zh[p]) for p in positions],
                             "reason_en": ["; ".join(self.en[p]) for p in positions]})


def validate_frame(raw: pd.DataFrame, columns: dict[str, str], kind: Kind, problems: Problems,
                   *, known_grid_codes: set[str] | None = None) -> pd.DataFrame:
    """Typed values of the mapped columns (same row positions as ``raw``); reasons go to ``problems``."""
    clean = pd.DataFrame(index=raw.index)
    if EXTRA in raw:
        problems.add(raw[EXTRA].to_numpy() != "", "本行单元格多于表头列数：{v}", "more cells than header columns: {v}",
                     raw[EXTRA].to_numpy())
    for name, header in columns.items():
        spec = kind.field(name)
        text = raw[header].astype(str).str.strip()
        empty = (text == "").to_numpy()
        if spec.required:
            problems.add(empty, f"缺少必填项“{header}”", f"required field '{header}' is empty")
        clean[name] = _CLEANERS[spec.type](text, empty, spec, header, problems, known_grid_codes)
    return clean


def _text(text, empty, spec: Field, header, problems, _codes):
    if spec.max_len:
        too_long = (text.str.len() > spec.max_len).to_numpy()
        problems.add(too_long, f"“{header}”超过 {spec.max_len} 字", f"'{header}' longer than {spec.max_len} characters")
    return text.where(~empty, None)


def _uscc(text, empty, spec, header, problems, _codes):
    codes = text.map(lambda s: unicodedata.normalize("NFKC", s).upper().replace(" ", ""))
    valid = valid_usccs(codes)
    bad = ~valid & ~empty
    lengths = codes.str.len().to_numpy()
    problems.add(bad & (lengths != 18), "统一社会信用代码应为18位：{v}", "USCC must have 18 characters: {v}", codes)
    problems.add(bad & (lengths == 18), "统一社会信用代码校验位错误（GB 32100）：{v}",
                 "USCC check character wrong or invalid characters (GB 32100): {v}", codes)
    return codes.where(~empty, None)


_SYMBOL_VALUE = np.full(256, -1, dtype=np.int64)
_SYMBOL_VALUE[[ord(c) for c in ALPHABET]] = np.arange(len(ALPHABET))


def valid_usccs(codes: pd.Series) -> np.ndarray:
    """``app.demo.uscc.is_valid_uscc`` for a whole column at once (GB 32100 check character,
    same alphabet and weights), vectorised: at 10^6 rows the per-code check cost 12 s."""
    values = codes.fillna("").to_numpy(dtype=object)
    valid = np.fromiter((len(c) == 18 and c.isascii() for c in values), dtype=bool, count=len(values))
    if valid.any():
        chars = np.frombuffer("".join(values[valid]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = _SYMBOL_VALUE[chars]
        total = (digits[:, :17] * WEIGHTS).sum(axis=1)
        valid[valid] = (digits >= 0).all(axis=1) & (digits[:, 17] == (31 - total % 31) % 31)
    return valid


def parse_dates(text: pd.Series) -> pd.Series:
    """YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD (time of day ignored) → datetime64; else NaT."""
    parts = text.str.extract(_DATE)
    month = parts[1].fillna(parts[3])
    day = parts[2].fillna(parts[4])
    frame = pd.DataFrame({"year": pd.to_numeric(parts[0]), "month": pd.to_numeric(month),
                          "day": pd.to_numeric(day)})
    return pd.to_datetime(frame, errors="coerce")


def _date(text, empty, spec, header, problems, _codes):
    parsed = parse_dates(text)
    bad = parsed.isna().to_numpy() & ~empty
    problems.add(bad, f"“{header}”不是有效日期：{{v}}", f"'{header}' is not a valid date: {{v}}", text)
    today = pd.Timestamp(dt.date.today())
    out_of_range = ((parsed > today) | (parsed < pd.Timestamp(EARLIEST))).to_numpy()
    problems.add(out_of_range, f"“{header}”日期不在 1949-10-01 至今天之间：{{v}}",
                 f"'{header}' is not between 1949-10-01 and today: {{v}}", text)
    return parsed.dt.date.where(~(bad | empty), None)


def parse_amounts(text: pd.Series, unit: float = 1.0) -> tuple[pd.Series, np.ndarray]:
    """"5,000.00", "5000元", "¥5000", "0.5万元" → float in the field's unit; (values, unparsable mask)."""
    folded = text.map(lambda s: unicodedata.normalize("NFKC", s)).str.replace(r"[,\s¥￥]", "", regex=True)
    wan = folded.str.contains("万").to_numpy()
    number = folded.str.replace(r"(万元|万|元)$", "", regex=True)
    ok = number.str.match(_NUMBER).to_numpy()
    values = pd.to_numeric(number.where(ok, None), errors="coerce")
    return values * np.where(wan, 10000.0, 1.0) / unit, ~ok


def _amount(text, empty, spec, header, problems, _codes, unit=1.0):
    values, bad = parse_amounts(text, unit)
    bad &= ~empty
    problems.add(bad, f"“{header}”不是有效金额：{{v}}", f"'{header}' is not a valid amount: {{v}}", text)
    negative = (values < 0).to_numpy()
    problems.add(negative, f"“{header}”不能为负数：{{v}}", f"'{header}' cannot be negative: {{v}}", text)
    too_big = (values.abs() >= 1e12).to_numpy()
    problems.add(too_big, f"“{header}”数额过大：{{v}}", f"'{header}' is too large: {{v}}", text)
    return values.round(2).where(~(bad | empty | negative | too_big), None)


def _amount_10k(text, empty, spec, header, problems, codes):
    # A bare number in a 注册资本 column is already 万元; "500万元" too; "5000000元" is converted.
    yuan = text.str.strip().str.endswith("元") & ~text.str.contains("万")
    values = _amount(text, empty, spec, header, problems, codes)
    return values.where(~yuan.to_numpy(), values / 10000.0)


def _int(text, empty, spec, header, problems, _codes, low=0, high=10**9):
    folded = text.map(lambda s: unicodedata.normalize("NFKC", s)).str.replace(r"\.0+$", "", regex=True)
    ok = folded.str.fullmatch(r"\d+").to_numpy()
    values = pd.to_numeric(folded.where(ok, None), errors="coerce")
    bad = (~ok | (values < low).to_numpy() | (values > high).to_numpy()) & ~empty
    problems.add(bad, f"“{header}”应为 {low}–{high} 的整数：{{v}}", f"'{header}' must be a whole number "
                 f"{low}–{high}: {{v}}", text)
    return values.astype("Int64").where(~(bad | empty), None)


def _year(text, empty, spec, header, problems, codes):
    text = text.str.replace("年", "", regex=False)
    return _int(text, empty, spec, header, problems, codes, low=1949, high=dt.date.today().year)


def _float(text, empty, spec, header, problems, _codes):
    folded = text.map(lambda s: unicodedata.normalize("NFKC", s))
    values = pd.to_numeric(folded.where(folded.str.match(_NUMBER), None), errors="coerce")
    bad = values.isna().to_numpy() & ~empty
    problems.add(bad, f"“{header}”不是数字：{{v}}", f"'{header}' is not a number: {{v}}", text)
    return values


def _coded(table: dict[str, str], label_zh: str, label_en: str):
    def clean(text, empty, spec, header, problems, _codes):
        keys = text.map(lambda s: unicodedata.normalize("NFKC", s).strip().lower())
        values = keys.map(table)
        bad = values.isna().to_numpy() & ~empty
        known = "、".join(sorted(set(table.values())))
        problems.add(bad, f"“{header}”不是已知的{label_zh}：{{v}}（可用：{known}）",
                     f"'{header}' is not a known {label_en}: {{v}}", text)
        return values.where(~(bad | empty), None)
    return clean


def _words(kinds: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for code, words in kinds.items():
        table[code] = code
        table.update({unicodedata.normalize("NFKC", w).lower(): code for w in words})
    return table


def _industry(text, empty, spec, header, problems, _codes):
    folded = text.map(lambda s: unicodedata.normalize("NFKC", s).upper().replace(" ", ""))
    digits = folded.str.extract(_INDUSTRY)[0]
    bad = digits.isna().to_numpy() & ~empty
    problems.add(bad, f"“{header}”不是国民经济行业代码（GB/T 4754，如 5212 或 F5212）：{{v}}",
                 f"'{header}' is not a GB/T 4754 industry code (e.g. 5212): {{v}}", text)
    return digits.where(~(bad | empty), None)


def _grid_codes(text, empty, spec, header, problems, known):
    lists = text.map(lambda s: [c for c in _SPLIT_CODES.split(unicodedata.normalize("NFKC", s)) if c])
    if known is not None:
        unknown = lists.map(lambda codes: [c for c in codes if c not in known])
        bad = (unknown.str.len() > 0).to_numpy()
        problems.add(bad, f"“{header}”含未知网格编码：{{v}}", f"'{header}' has unknown grid codes: {{v}}",
                     unknown.map("、".join))
    return lists


def _bool(text, empty, spec, header, problems, _codes):
    keys = text.str.lower()
    values = keys.map(lambda k: True if k in _TRUE else False if k in _FALSE else None)
    bad = values.isna().to_numpy() & ~empty
    problems.add(bad, f"“{header}”应为 是/否：{{v}}", f"'{header}' must be yes/no (是/否): {{v}}", text)
    return values.where(~(bad | empty), None)


_CLEANERS = {
    "text": _text, "uscc": _uscc, "date": _date, "amount": _amount, "amount_10k": _amount_10k, "int": _int,
    "year": _year, "lon": _float, "lat": _float, "industry_code": _industry, "grid_codes": _grid_codes,
    "bool": _bool,
    "status": _coded({unicodedata.normalize("NFKC", k).lower(): v for k, v in STATUSES.items()}, "登记状态",
                     "registration status"),
    "credit_kind": _coded(_words(CREDIT_KINDS), "信用记录类型", "credit record kind"),
    "poi_kind": _coded(_words(POI_KINDS), "场所类型", "place kind"),
    "staff_role": _coded(_words(STAFF_ROLES), "角色", "staff role"),
}


def reject_duplicates(clean: pd.DataFrame, key: tuple[str, ...], row_no: np.ndarray, problems: Problems,
                      headers: dict[str, str]) -> None:
    """Rows sharing a natural key: exact copies after the first are rejected as copies; when the copies
    differ, every one of them is rejected (the department must say which is right)."""
    ok = ~problems.mask()
    cols = [k for k in key if k in clean]
    if not cols or ok.sum() < 2:
        return
    keys = clean[cols].astype(str).where(clean[cols].notna(), "")
    dup = keys.duplicated(keep=False).to_numpy() & ok
    if not dup.any():
        return
    label = "、".join(headers.get(k, k) for k in cols)
    values = clean.drop(columns=[c for c in clean if clean[c].map(type).eq(list).any()])
    for _, positions in keys[dup].groupby(cols, sort=False).indices.items():
        positions = np.flatnonzero(dup)[positions]
        rows = "、".join(str(int(r)) for r in row_no[positions])
        same = len(values.iloc[positions].astype(str).drop_duplicates()) == 1
        mask = np.zeros(problems.n, dtype=bool)
        if same:
            mask[positions[1:]] = True
            problems.add(mask, f"与第 {row_no[positions[0]]} 行完全重复（{label}）",
                         f"exact copy of row {row_no[positions[0]]} ({label})")
        else:
            mask[positions] = True
            problems.add(mask, f"{label}在文件中重复（第 {rows} 行）且内容不一致，请核实后保留一行",
                         f"{label} repeated in the file (rows {rows}) with different values; keep one")
