"""Credit records at realistic yearly frequencies, dated in the three years before 2026-11-01.

Kinds: penalty, abnormal_list, blacklist, revocation, court_dishonest, missing_licence,
missing_annual_report, complaint. Amounts in yuan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.demo.enterprises import REFERENCE_DATE

WINDOW_DAYS = 3 * 365
SAMR = "重庆市渝北区市场监督管理局"
DEPARTMENTS = {"health": "重庆市渝北区卫生健康委员会", "culture": "重庆市渝北区文化和旅游发展委员会",
               "fire": "重庆市渝北区消防救援支队", "court": "重庆市渝北区人民法院", "tax": "国家税务总局重庆市渝北区税务局"}
# kind → (share of entities over three years, riskier trades multiply it by RISKY_FACTOR)
RATES = {"penalty": 0.035, "abnormal_list": 0.06, "blacklist": 0.003, "court_dishonest": 0.008,
         "missing_licence": 0.015, "missing_annual_report": 0.05, "complaint": 0.04}
RISKY_FACTOR = 2.5
RISKY_CODES = {"6210", "6220", "6291", "6233", "9011", "9012", "9013", "8425", "5251", "8070"}
DESCRIPTIONS = {
    "penalty": ["销售过期食品", "未按规定明码标价", "虚假宣传", "未取得许可从事经营", "违反消防安全规定", "卫生条件不达标"],
    "abnormal_list": ["通过登记的住所或者经营场所无法联系", "未按规定公示年度报告", "公示信息隐瞒真实情况、弄虚作假"],
    "blacklist": ["被列入经营异常名录届满3年仍未履行相关义务", "提交虚假材料取得公司登记"],
    "court_dishonest": ["有履行能力而拒不履行生效法律文书确定义务"],
    "missing_licence": ["未取得食品经营许可证", "未取得娱乐经营许可证", "未取得网络文化经营许可证", "未取得医疗机构执业许可证"],
    "missing_annual_report": ["未在规定期限内报送上一年度年度报告"],
    "complaint": ["消费者投诉商品质量问题", "消费者投诉服务收费", "消费者投诉预付卡退费"],
}


def _department(kind: str, codes: np.ndarray, rng) -> np.ndarray:
    if kind == "court_dishonest":
        return np.full(len(codes), DEPARTMENTS["court"], dtype=object)
    out = np.full(len(codes), SAMR, dtype=object)
    if kind == "penalty":
        health = np.isin(codes, ["8425", "5251"]) & (rng.random(len(codes)) < 0.6)
        venue = np.isin(codes, ["9011", "9012", "9013", "6233"])
        out[health] = DEPARTMENTS["health"]
        out[venue] = np.where(rng.random(int(venue.sum())) < 0.5, DEPARTMENTS["culture"], DEPARTMENTS["fire"])
    return out


def _dates(established: np.ndarray, n: int, rng) -> np.ndarray:
    ref = np.datetime64(REFERENCE_DATE)
    # in days: pandas may hand datetime64[s], and a span in seconds read as days lands centuries ahead
    start = np.maximum(established.astype("datetime64[D]"), ref - np.timedelta64(WINDOW_DAYS, "D"))
    span = (ref - start).astype(int)
    return start + (rng.random(n) * np.maximum(span, 1)).astype("timedelta64[D]")


def _records(kind: str, ents: pd.DataFrame, rng) -> pd.DataFrame:
    n = len(ents)
    decided = _dates(ents.established_on.to_numpy(), n, rng)
    frame = pd.DataFrame({"enterprise_id": ents.id.to_numpy(), "kind": kind, "decided_on": decided,
                          "department": _department(kind, ents.industry_code.to_numpy(), rng),
                          "description": rng.choice(DESCRIPTIONS.get(kind, ["吊销营业执照"]), n)})
    if kind == "penalty":
        frame["amount_yuan"] = np.round(np.maximum(rng.lognormal(np.log(5000), 1.2, n), 200), -1)
        frame["severity"] = np.where(frame.amount_yuan > 50000, "serious", "general")
        year = pd.DatetimeIndex(decided).year.astype(str)
        frame["document_no"] = "渝北市监处罚〔" + year + "〕" + pd.Series(rng.integers(1, 3000, n)).astype(str) + "号"
    if kind in ("abnormal_list", "missing_licence", "court_dishonest"):
        lifted = rng.random(n) < 0.4
        later = decided + rng.integers(30, 400, n).astype("timedelta64[D]")
        frame["removed_on"] = np.where(lifted & (later < np.datetime64(REFERENCE_DATE)), later, np.datetime64("NaT"))
    if kind in ("blacklist", "revocation", "court_dishonest"):
        frame["severity"] = "serious"
    frame["is_public"] = kind != "complaint"
    return frame


def build_credit(enterprises: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Credit records for ``enterprises`` (ids, industry codes, status, established dates)."""
    risky = np.where(enterprises.industry_code.isin(RISKY_CODES).to_numpy(), RISKY_FACTOR, 1.0)
    frames = [_records("revocation", enterprises[enterprises.status == "吊销"], rng)]
    for kind, rate in RATES.items():
        chosen = rng.random(len(enterprises)) < rate * risky
        if kind == "missing_annual_report":
            chosen &= (enterprises.entity_type == "企业").to_numpy()
        frames.append(_records(kind, enterprises[chosen], rng))
    frame = pd.concat(frames, ignore_index=True).sort_values(["decided_on", "enterprise_id", "kind"],
                                                             kind="stable", ignore_index=True)
    for column in ("amount_yuan", "severity", "document_no", "removed_on"):
        if column not in frame:
            frame[column] = None
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame
