"""Reject reports for the source department (.xlsx and .csv) and the summary of a batch.

A report row is: original row number, reason in Chinese, reason in English, then the row's
original cells under the file's own headers, so the department can fix and resend it.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

ROW = "原行号 / row"
REASON_ZH = "退回原因"
REASON_EN = "reason"


def rejects_frame(rejects: Iterable[dict]) -> pd.DataFrame:
    """Records with row_no, values (dict of original cells), reason_zh, reason_en → one report table."""
    rows = []
    for r in sorted(rejects, key=lambda r: r["row_no"]):
        rows.append({ROW: r["row_no"], REASON_ZH: r["reason_zh"], REASON_EN: r["reason_en"], **r["values"]})
    if not rows:
        return pd.DataFrame(columns=[ROW, REASON_ZH, REASON_EN])
    return pd.DataFrame(rows).fillna("")


def write_csv(rejects: Iterable[dict], target) -> None:
    """UTF-8 with BOM so that Excel on a Chinese Windows opens it without mojibake."""
    frame = rejects_frame(rejects)
    if isinstance(target, (str, Path)):
        frame.to_csv(target, index=False, encoding="utf-8-sig")
    else:
        target.write("\ufeff" + frame.to_csv(index=False))


def write_xlsx(rejects: Iterable[dict], target) -> None:
    frame = rejects_frame(rejects)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="退回数据", index=False)
        sheet = writer.sheets["退回数据"]
        for column, width in (("A", 10), ("B", 50), ("C", 50)):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "D2"


def xlsx_bytes(rejects: Iterable[dict]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rejects, buffer)
    return buffer.getvalue()


def csv_text(rejects: Iterable[dict]) -> str:
    buffer = io.StringIO()
    write_csv(rejects, buffer)
    return buffer.getvalue()


def top_reasons(reasons_zh: Iterable[str], limit: int = 10) -> list[dict]:
    """The most frequent reasons (each reason of a multi-reason row counted), for the batch report."""
    counts = Counter(part.split("：")[0] for text in reasons_zh for part in text.split("；"))
    return [{"reason": reason, "rows": n} for reason, n in counts.most_common(limit)]


def summary_rows(result) -> list[tuple[str, str]]:
    """(label, value) lines of the final summary table of an import."""
    counts = result.counts
    lines = [("批次 / batch", str(result.batch_id)), ("状态 / status", result.status),
             ("读入行 / rows read", f"{counts['rows_total']:,}"), ("新增 / inserted", f"{counts['rows_inserted']:,}"),
             ("更新 / updated", f"{counts['rows_updated']:,}"), ("未变 / unchanged", f"{counts['rows_unchanged']:,}"),
             ("退回 / rejected", f"{counts['rows_rejected']:,}")]
    for step in result.report.get("steps", []):
        rate = f", {step['rows_per_s']:,.0f} 行/s" if step.get("rows_per_s") else ""
        lines.append((f"  {step['name']}", f"{step['seconds']:.1f} s{rate}"))
    return lines


def format_summary(result) -> str:
    rows = summary_rows(result)
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows)
