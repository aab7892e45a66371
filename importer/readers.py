"""Files as the departments send them → a frame of strings with each row's original row number.

CSV (UTF-8 with or without BOM, else GBK/GB18030, detected), XLSX (openpyxl, any sheet), and
GeoJSON / Shapefile (also zipped) / GeoPackage through pyogrio. Spreadsheets often carry a title
row and a two-level header whose upper cells are merged; the header row is found by how many of
its cells are known column names (``header_score``), and an empty header cell takes the text of
the cell above it (a vertically merged header). Nothing here knows about the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from importer.errors import ImportRejected

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
GEO_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".zip")
HEAD_ROWS = 20  # a header is looked for in this many leading rows
EXTRA = "_extra"  # cells beyond the header's width end up here (and the row is rejected)

HeaderScore = Callable[[list[str]], int]


@dataclass
class RawTable:
    """Cells as strings ("" when empty), one row per input record, in file order."""

    frame: pd.DataFrame
    row_no: np.ndarray  # spreadsheet row (1-based, header rows included) or feature number
    source: dict = field(default_factory=dict)  # format, encoding, sheet, header_row, blank_rows
    geometry: object | None = None  # GeoSeries in the file's coordinates (geo formats only)
    file_crs: object | None = None  # pyproj CRS of a geo file, when it declares one


def read_file(path: Path, *, header_score: HeaderScore, sheet: str | None = None) -> RawTable:
    """Read ``path`` by its suffix; fully blank rows are dropped and counted in ``source['blank_rows']``."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES[:2]:
        table = _read_csv(path, header_score)
    elif suffix in TABLE_SUFFIXES[2:]:
        table = _read_xlsx(path, header_score, sheet)
    elif suffix in GEO_SUFFIXES:
        table = _read_geo(path)
    else:
        raise ImportRejected(f"不支持的文件类型 {suffix}", f"unsupported file type {suffix!r}; use "
                             ".xlsx, .csv, .geojson, .shp (or zipped), .gpkg")
    return _drop_blank(table)


# ---------------------------------------------------------------- CSV


def detect_encoding(data: bytes) -> str:
    """'utf-8-sig' when the bytes are UTF-8 (BOM or not), else 'gb18030' (a superset of GBK)."""
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportRejected("文件编码无法识别（应为 UTF-8 或 GBK/GB18030）",
                             f"unknown text encoding at byte {exc.start} (expected UTF-8 or GBK/GB18030)") from None


def _read_csv(path: Path, header_score: HeaderScore) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        return _empty("csv")
    encoding = detect_encoding(data)
    head_text = data[:256 * 1024].decode(encoding, errors="ignore")
    delimiter = _delimiter(head_text)
    head = list(csv.reader(io.StringIO(head_text), delimiter=delimiter))[:HEAD_ROWS]
    header_row, names = find_header(head, header_score)
    frame = _parse_csv(data, encoding, delimiter, header_row, len(names))
    frame.columns = _unique(names) + [EXTRA]
    row_no = np.arange(len(frame)) + header_row + 2
    return RawTable(frame, row_no, {"format": "csv", "encoding": encoding, "header_row": header_row + 1})


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", "\t", ";", "|"), key=first.count)


def _parse_csv(data: bytes, encoding: str, delimiter: str, header_row: int, width: int) -> pd.DataFrame:
    names = list(range(width + 1))
    options = dict(sep=delimiter, header=None, names=names, skiprows=header_row + 1, dtype=str,
                   keep_default_na=False, na_filter=False, encoding=encoding, skip_blank_lines=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.BytesIO(data), engine="c", index_col=False, **options)
            ragged = any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
        except pd.errors.ParserError:
            ragged = True
    if ragged:  # a row wider than header + 1 (pandas would cut it or take it as an index): parse it ourselves
        reader = csv.reader(io.StringIO(data.decode(encoding)), delimiter=delimiter)
        body = [cells[:width] + [""] * (width - len(cells)) + [delimiter.join(cells[width:])]
                for i, cells in enumerate(reader) if i > header_row]
        frame = pd.DataFrame(body, columns=names, dtype=object)
    return frame.fillna("").astype(object)


# ---------------------------------------------------------------- XLSX


def _read_xlsx(path: Path, header_score: HeaderScore, sheet: str | None) -> RawTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportRejected("Excel 文件无法打开", f"cannot open the workbook: {exc}") from None
    try:
        ws = _pick_sheet(book, header_score, sheet)
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    if not any(any(cell for cell in row) for row in rows):
        return _empty("xlsx", sheet=ws.title)
    header_row, names = find_header(rows[:HEAD_ROWS], header_score)
    width = len(names)
    body = [row[:width] + [""] * (width - len(row)) + ["\t".join(c for c in row[width:] if c)]
            for row in rows[header_row + 1:]]
    frame = pd.DataFrame(body, columns=_unique(names) + [EXTRA], dtype=object)
    row_no = np.arange(len(frame)) + header_row + 2
    return RawTable(frame, row_no, {"format": "xlsx", "sheet": ws.title, "header_row": header_row + 1})


def _pick_sheet(book, header_score: HeaderScore, sheet: str | None):
    if sheet is not None:
        if sheet not in book.sheetnames:
            raise ImportRejected(f"工作表“{sheet}”不存在（有：{'、'.join(book.sheetnames)}）",
                                 f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}")
        return book[sheet]
    fitting = []
    for ws in book.worksheets:
        head = [[_cell(v) for v in row] for row in ws.iter_rows(max_row=HEAD_ROWS, values_only=True)]
        if head and max(header_score(_merged_names(head, i)) for i in range(len(head))) >= 2:
            fitting.append(ws)
    if len(fitting) == 1:
        return fitting[0]
    if not fitting:
        return book.worksheets[0]  # find_header then says what is missing
    names = "、".join(ws.title for ws in fitting)
    raise ImportRejected(f"多个工作表都像数据表（{names}），请用 --sheet 指定",
                         f"several sheets look like data ({names}); choose one with --sheet")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------- geo formats


def _read_geo(path: Path) -> RawTable:
    import geopandas as gpd

    target = f"zip://{path}" if path.suffix.lower() == ".zip" else path
    try:
        gdf = gpd.read_file(target, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL errors: the file is not readable as a layer
        raise ImportRejected("空间数据文件无法读取", f"cannot read the spatial file: {exc}") from None
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    frame = pd.DataFrame({c: [_cell(v) if not _is_missing(v) else "" for v in gdf[c]] for c in columns},
                         dtype=object)
    frame[EXTRA] = ""
    source = {"format": path.suffix.lower().lstrip("."), "features": len(gdf)}
    return RawTable(frame, np.arange(1, len(gdf) + 1), source, geometry=gdf.geometry.reset_index(drop=True),
                    file_crs=gdf.crs)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


# ---------------------------------------------------------------- header


def find_header(rows: list[list[str]], header_score: HeaderScore) -> tuple[int, list[str]]:
    """(index of the header row, column names); the best-scoring of the leading rows wins."""
    scored = [(header_score(_merged_names(rows, i)), -i) for i in range(len(rows))]
    if not scored or max(scored)[0] == 0:
        raise ImportRejected("找不到表头：前 20 行中没有可识别的列名",
                             "no header found: none of the first 20 rows has a known column name")
    index = -max(scored)[1]
    return index, _merged_names(rows, index)


def _merged_names(rows: list[list[str]], index: int) -> list[str]:
    """Names of header row ``index``; an empty cell takes the text above it (merged vertically)."""
    above = [str(c).strip() for c in rows[index - 1]] if index > 0 else []
    row = [str(c).strip() for c in rows[index]]
    row += [""] * (len(above) - len(row))
    names = [cell or (above[j] if j < len(above) else "") for j, cell in enumerate(row)]
    while names and not names[-1]:
        names.pop()
    return names


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for j, name in enumerate(names):
        name = name or f"列{j + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def _drop_blank(table: RawTable) -> RawTable:
    if table.frame.empty or table.geometry is not None:
        table.source.setdefault("blank_rows", 0)
        return table
    blank = (table.frame == "").all(axis=1).to_numpy()
    table.source["blank_rows"] = int(blank.sum())
    if blank.any():
        table.frame = table.frame.loc[~blank].reset_index(drop=True)
        table.row_no = table.row_no[~blank]
    return table


def _empty(fmt: str, **source) -> RawTable:
    return RawTable(pd.DataFrame({EXTRA: pd.Series([], dtype=object)}), np.zeros(0, dtype=int),
                    {"format": fmt, "empty": True, **source})
