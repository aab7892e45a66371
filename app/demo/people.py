"""Staff (supervisors per base grid, inspectors per department) and hot-line complaints."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from app.demo.enterprises import REFERENCE_DATE
from app.demo.names import person_names, phone_numbers

SUPERVISOR_DEPT = "重庆市渝北区市场监督管理局"
INSPECTOR_DEPTS = ["重庆市渝北区市场监督管理局", "重庆市渝北区卫生健康委员会", "重庆市渝北区消防救援支队",
                   "重庆市渝北区文化和旅游发展委员会", "重庆市渝北区应急管理局"]
INSPECTOR_SHARE = [0.45, 0.15, 0.15, 0.15, 0.10]
# hotline → (category, complaint texts)
COMPLAINTS = {
    "12315": ("消费投诉", ["购买的商品存在质量问题，商家拒绝退换", "预付卡消费后商家关门跑路，要求退款",
                         "商家虚假宣传，实际服务与宣传不符", "网购商品与描述不符，商家不予处理"]),
    "12345": ("市民诉求", ["店铺夜间噪音扰民，影响休息", "商铺占道经营，影响通行", "门店油烟扰民，请相关部门处理"]),
    "12365": ("质量举报", ["销售的电动车充电器疑似无3C认证", "燃气灶具质量不合格存在安全隐患"]),
    "12331": ("食品药品", ["餐馆后厨卫生条件差，发现老鼠", "超市销售过期食品", "药店无处方销售处方药"]),
    "12358": ("价格举报", ["商品未明码标价，结账时加价", "停车场收费高于公示标准"]),
}
HOTLINE_P = [0.5, 0.25, 0.07, 0.12, 0.06]


def build_staff(grids: pd.DataFrame, n_enterprises: int, rng: np.random.Generator) -> pd.DataFrame:
    """1–2 supervisors per base grid, inspectors of five departments, and a few officials."""
    base = grids.loc[grids.level == "grid", "code"].to_numpy()
    per_grid = np.where(rng.random(len(base)) < 0.35, 2, 1)
    sup_grids = np.repeat(base, per_grid)
    n_insp = max(40, n_enterprises // 1500)
    depts = rng.choice(INSPECTOR_DEPTS, n_insp, p=INSPECTOR_SHARE)
    n_off = 6
    n = len(sup_grids) + n_insp + n_off
    frame = pd.DataFrame({
        "staff_no": [f"YB{i + 1:06d}" for i in range(n)], "name": person_names(rng, n),
        "department": np.concatenate([np.full(len(sup_grids), SUPERVISOR_DEPT), depts,
                                      np.full(n_off, SUPERVISOR_DEPT)]),
        "role": ["supervisor"] * len(sup_grids) + ["inspector"] * n_insp + ["official"] * n_off,
        "phone": phone_numbers(rng, n),
        "grid_codes": [[c] for c in sup_grids] + [[] for _ in range(n_insp + n_off)],
    })
    frame.insert(0, "id", np.arange(1, n + 1))
    return frame


def build_complaints(enterprises: pd.DataFrame, staff: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A few hundred complaints about open entities, placed at their address and grid."""
    n = int(np.clip(len(enterprises) // 50, 200, 800))
    open_ents = enterprises[enterprises.status == "存续"]
    ents = open_ents.iloc[rng.choice(len(open_ents), n, replace=False)]
    hotline = rng.choice(list(COMPLAINTS), n, p=HOTLINE_P)
    text = [f"{e}：{rng.choice(COMPLAINTS[h][1])}" for e, h in zip(ents.name, hotline, strict=True)]
    ref = np.datetime64(dt.datetime.combine(REFERENCE_DATE, dt.time(9)), "s")
    received = ref - (rng.random(n) * 90 * 86400).astype("timedelta64[s]")
    status = rng.choice(["received", "assigned", "processing", "resolved"], n, p=[0.1, 0.2, 0.2, 0.5])
    supervisors = staff[staff.role == "supervisor"].explode("grid_codes").drop_duplicates("grid_codes")
    assignee = supervisors.set_index("grid_codes").id.reindex(ents.grid_code).to_numpy()
    resolved = received + (rng.random(n) * 10 * 86400).astype("timedelta64[s]")
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "hotline": hotline, "received_at": received,
        "category": [COMPLAINTS[h][0] for h in hotline], "text": text,
        "address_text": ents.registered_address.to_numpy(), "complainant_name": person_names(rng, n),
        "complainant_phone": phone_numbers(rng, n), "enterprise_id": ents.id.to_numpy(),
        "address_id": ents.address_id.to_numpy(), "grid_code": ents.grid_code.to_numpy(),
        "assignee_staff_id": np.where(status == "received", np.nan, assignee),
        "status": status, "due_on": (received + np.timedelta64(15, "D")).astype("datetime64[D]"),
        "resolved_at": np.where(status == "resolved", resolved, np.datetime64("NaT")),
        "geom": ents.geom.to_numpy(),
    })
    return frame
