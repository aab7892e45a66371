"""Reading and checking department files without a database: encodings, merged headers, sheets, rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from importer import ImportRejected
from importer.kinds import ENTERPRISES
from importer.mapping import header_scorer, normalize_header, resolve
from importer.readers import read_file
from importer.validate import Problems, parse_dates, valid_usccs, validate_frame

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
SCORE = header_scorer(ENTERPRISES)


def test_gbk_csv_with_a_title_row_and_a_two_level_merged_header():
    table = read_file(FIXTURES / "enterprises_gbk_merged_header.csv", header_score=SCORE)
    assert table.source["encoding"] == "gb18030"
    assert table.source["header_row"] == 3
    mapping = resolve(list(table.frame.columns[:-1]), ENTERPRISES)
    assert mapping.columns["uscc"] == "统一社会信用代码"  # vertically merged: named by the row above
    assert mapping.columns["registered_address"] == "住所" and mapping.columns["operating_address"] == "经营场所"
    assert table.frame.iloc[0]["企业名称"] == "重庆渝北区龙溪小面馆"
    assert list(table.row_no[:2]) == [4, 5]  # spreadsheet rows: title, two header rows, then data


def test_headers_are_compared_without_units_spaces_and_marks():
    assert normalize_header(" 罚款金额（元）* ") == "罚款金额"
    assert normalize_header("注册资本(万元)") == "注册资本"
    assert normalize_header("ＵＳＣＣ") == "uscc"


def test_dates_refuse_month_13_and_accept_chinese_forms():
    parsed = parse_dates(pd.Series(["2025/13/01", "2024年3月5日", "20240305", "2024-02-30", "2024.3.5", "明天"]))
    assert parsed.isna().tolist() == [True, False, False, True, False, True]
    assert parsed.iloc[1] == parsed.iloc[2] == parsed.iloc[4] == pd.Timestamp("2024-03-05")


def test_row_reasons_checksum_date_status_amount():
    raw = pd.DataFrame({"统一社会信用代码": ["91500112MA5U00011J", "91500112MA5U00011K", "9150011"],
                        "企业名称": ["甲", "", "丙"], "登记状态": ["在营（开业）", "存续", "营业中"],
                        "成立日期": ["2020-01-02", "2025/13/01", ""], "注册资本（万元）": ["50", "abc", "-1"]})
    mapping = resolve(list(raw.columns), ENTERPRISES)
    problems = Problems(3)
    clean = validate_frame(raw, mapping.columns, ENTERPRISES, problems)
    reasons = problems.frame(np.array([2, 3, 4]))
    assert list(reasons.row_no) == [3, 4]
    zh = reasons.set_index("row_no").reason_zh
    assert "校验位错误" in zh[3] and "缺少必填项“企业名称”" in zh[3] and "2025/13/01" in zh[3] and "金额" in zh[3]
    assert "18位" in zh[4] and "营业中" in zh[4] and "负数" in zh[4]
    assert clean.status[0] == "在业" and clean.registered_capital_10k[0] == 50


def test_fifty_columns_of_which_six_are_used(tmp_path):
    used = ["统一社会信用代码", "企业名称", "登记状态", "住所", "成立日期", "法定代表人"]
    headers = [f"备用字段{i}" for i in range(44)]
    for i, name in enumerate(used):
        headers.insert(i * 7, name)
    path = tmp_path / "wide.csv"
    pd.DataFrame([["x"] * 50], columns=headers).to_csv(path, index=False)
    table = read_file(path, header_score=SCORE)
    mapping = resolve([c for c in table.frame.columns if c != "_extra"], ENTERPRISES)
    assert len(table.frame.columns) == 51 and len(mapping.columns) == 6 and len(mapping.ignored) == 44


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_xlsx_with_a_data_sheet_and_a_notes_sheet(tmp_path):
    path = _workbook(tmp_path / "two.xlsx", {
        "填表说明": [["本表由区市场监管局登记科填报"], ["日期格式：YYYY-MM-DD"]],
        "企业名单": [["2025年新设企业"], ["统一社会信用代码", "企业名称", "登记状态"],
                     ["91500112MA5U00011J", "甲公司", "存续"]]})
    table = read_file(path, header_score=SCORE)
    assert table.source["sheet"] == "企业名单" and list(table.row_no) == [3]


def test_xlsx_with_two_data_sheets_needs_sheet(tmp_path):
    rows = [["统一社会信用代码", "企业名称", "登记状态"], ["91500112MA5U00011J", "甲公司", "存续"]]
    path = _workbook(tmp_path / "two.xlsx", {"2024": rows, "2025": rows})
    with pytest.raises(ImportRejected, match="--sheet"):
        read_file(path, header_score=SCORE)
    assert read_file(path, header_score=SCORE, sheet="2025").source["sheet"] == "2025"
    with pytest.raises(ImportRejected, match="2026"):
        read_file(path, header_score=SCORE, sheet="2026")


def test_a_row_wider_than_its_header_keeps_its_cells(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("统一社会信用代码,企业名称,登记状态\n91500112MA5U00011J,甲,存续,多,余\n", encoding="utf-8")
    table = read_file(path, header_score=SCORE)
    assert table.frame.iloc[0]["_extra"] == "多,余"


def test_empty_and_headerless_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert len(read_file(empty, header_score=SCORE).frame) == 0
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="表头"):
        read_file(junk, header_score=SCORE)


def test_column_uscc_check_agrees_with_the_one_code_check():
    from app.demo.uscc import ALPHABET, is_valid_uscc, make_uscc

    rng = np.random.default_rng(32100)
    good = [make_uscc("9", "1", "500112", "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 8)))
            for _ in range(300)]
    wrong_check = [c[:17] + ALPHABET[(ALPHABET.index(c[17]) + 1) % 31] for c in good[:100]]
    odd = ["", "91500112MA5U00003", "91500112MA5U00003PX", "91500112MA5U0000IP", "９１５００１１２ＭＡ５Ｕ００００３Ｐ",
           "91500112ma5u00003p", "915001１２MA5U00003P"]
    codes = pd.Series(good + wrong_check + odd, dtype=object)
    assert valid_usccs(codes).tolist() == [is_valid_uscc(c) for c in codes]
    assert valid_usccs(codes)[:300].all() and not valid_usccs(codes)[300:].any()
