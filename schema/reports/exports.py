"""Downloads of the report tables, laid out like the department's forms (openpyxl for XLSX).

    GET /exports/sales-analysis.xlsx?year=2024      T2 客户销售分析表
    GET /exports/sales-analysis.csv?year=2024
    GET /exports/customer-classification.xlsx       T1 客户总体分类表
    GET /exports/customer-classification.csv

Bearer token required, roles manager, general_manager or auditor. Figures are the API's: T2
cells in 万元 with 4 decimals (half up from exact fen), T1 shares by largest remainder.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from projections.classification.queries import TITLE as T1_TITLE
from projections.classification.queries import T1Filter, classification
from projections.figures import wan_yuan
from projections.sales.analysis import TITLE as T2_TITLE
from projections.sales.analysis import SalesTable, T2Filter, sales_table
from schema.auth import AuthError, actor_from_header
from schema.context import Services
from schema.reports.api import READERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Grid = list[list[Any]]


def sales_grid(t: SalesTable) -> Grid:
    """T2 as rows of cells, the form's layout: title, year, header, customers, 合计, signatures."""
    width = len(t.products) + 2
    sig = t.signature
    grid: Grid = [
        [T2_TITLE] + [None] * (width - 1),
        [f"年度：{t.year}"] + [None] * (width - 2) + ["单位：万元"],
        ["客户名称", *[name for _, name in t.products], "合计"],
    ]
    grid += [[r.customer_name, *map(_wan, r.cells), _wan(r.total)] for r in t.rows]
    grid.append(["合计", *map(_wan, t.column_totals), _wan(t.grand_total)])
    grid.append([f"审核：{sig.reviewed_by if sig else ''}", f"填写：{sig.filled_by if sig else ''}",
                 f"编制：{sig.compiled_by if sig else ''}"] + [None] * (width - 3))
    return grid


def _wan(fen: int) -> Decimal:
    return Decimal(wan_yuan(fen))


async def classification_grid(services: Services) -> Grid:
    c = await classification(services.pool, T1Filter())
    grid: Grid = [[T1_TITLE, None, None, None], ["分类标准", "类别", "客户数", "比例（%）"]]
    for k in c.criteria:
        grid += [[k.label, v.label, v.count, Decimal(v.share)] for v in k.values]
    grid.append(["客户比例", "本表客户/全部客户", c.customers, Decimal(c.customer_share)])
    return grid


def to_xlsx(grid: Grid, title: str, number_format: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in grid:
        ws.append(row)
    width = max(len(r) for r in grid)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = number_format
    ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(grid: Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in grid:
        writer.writerow(["" if v is None else str(v) for v in row])
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read the Chinese text as UTF-8


def _guarded(build: Callable[[Request, Services], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            actor = actor_from_header(request.headers.get("authorization"), services.settings)
        except AuthError as exc:
            return PlainTextResponse(str(exc), status_code=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        if actor.role not in READERS:
            return PlainTextResponse(f"role {actor.role.value} may not read reports", 403)
        return await build(request, services)
    return endpoint


def _year(request: Request) -> int | None:
    text = request.query_params.get("year", "")
    return int(text) if text.isdigit() and len(text) == 4 else None


def _sales(kind: str) -> Callable[[Request, Services], Awaitable[Response]]:
    async def build(request: Request, services: Services) -> Response:
        year = _year(request)
        if year is None:
            return PlainTextResponse("year=YYYY is required", status_code=400)
        grid = sales_grid(await sales_table(services.pool, year, T2Filter(), limit=None))
        return _file(grid, kind, f"sales-analysis-{year}", "客户销售分析表", "0.0000")
    return build


def _classification(kind: str) -> Callable[[Request, Services], Awaitable[Response]]:
    async def build(request: Request, services: Services) -> Response:
        grid = await classification_grid(services)
        return _file(grid, kind, "customer-classification", "客户总体分类表", "0.00")
    return build


def _file(grid: Grid, kind: str, name: str, sheet: str, number_format: str) -> Response:
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{kind}"'}
    if kind == "xlsx":
        return Response(to_xlsx(grid, sheet, number_format), media_type=XLSX,
                        headers=disposition)
    return Response(to_csv(grid), media_type="text/csv; charset=utf-8", headers=disposition)


ROUTES = [
    Route("/exports/sales-analysis.xlsx", _guarded(_sales("xlsx"))),
    Route("/exports/sales-analysis.csv", _guarded(_sales("csv"))),
    Route("/exports/customer-classification.xlsx", _guarded(_classification("xlsx"))),
    Route("/exports/customer-classification.csv", _guarded(_classification("csv"))),
]
