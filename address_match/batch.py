"""Read addresses from an uploaded CSV/XLSX and write one verdict per row (batch address checks)."""

from __future__ import annotations

import csv
import io
from typing import TextIO

from .checks import check_address
from .errors import AddressError
from .library import AddressLibrary

ADDRESS_HEADERS = ("address", "地址", "注册地址", "住所", "经营场所", "经营地址", "详细地址")
OUTPUT_COLUMNS = ("row", "address", "verdict", "confidence", "standard_address", "lon", "lat",
                  "entities_registered_here", "in_free_trade_zone", "warnings", "reason")


def read_addresses(filename: str, data: bytes) -> list[dict]:
    """Rows ``{"row": n, "address": text}`` from a CSV (UTF-8 or GB18030) or XLSX file, in file order."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        table = list(csv.reader(io.StringIO(_decode(data))))
    else:
        raise AddressError(f"只支持 CSV 或 XLSX 文件 / only .csv or .xlsx files are accepted, got {filename!r}")
    if not table:
        raise AddressError("文件为空 / the file is empty")
    column = _address_column(table[0])
    return [{"row": i, "address": (r[column] if column < len(r) else "") or ""}
            for i, r in enumerate(table[1:], start=2)]


def check_row(session, row: dict, *, library: AddressLibrary | None = None) -> dict:
    """One output row for one input row: the verdict, or ``invalid`` with the reason. The output
    has no components column, so the address is not parsed."""
    try:
        result = check_address(session, row["address"], library=library, with_components=False)
    except AddressError as exc:
        return {**row, "verdict": "invalid", "reason": str(exc)}
    return {**row, "verdict": result.verdict, "confidence": result.confidence,
            "standard_address": result.standard_address, "lon": result.lon, "lat": result.lat,
            "entities_registered_here": result.entities_registered_here["count"],
            "in_free_trade_zone": result.in_free_trade_zone,
            "warnings": "；".join(w["message"] for w in result.warnings)}


def write_results(out: TextIO, results: list[dict]) -> None:
    writer = csv.DictWriter(out, fieldnames=OUTPUT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(results)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AddressError("文件编码无法识别（应为 UTF-8 或 GBK） / the file is neither UTF-8 nor GBK")


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise AddressError(f"无法读取 XLSX 文件 / cannot read the XLSX file: {exc}") from exc
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _address_column(header: list[str]) -> int:
    cleaned = [h.strip().lower() for h in header]
    for name in ADDRESS_HEADERS:
        if name in cleaned:
            return cleaned.index(name)
    raise AddressError("找不到地址列（address/地址/注册地址/住所/经营场所） / no address column in the header: "
                       + ", ".join(header[:10]))
