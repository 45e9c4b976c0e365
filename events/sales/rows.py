"""Reading import rows given as text (a CSV upload or a list of strings) into RecordSale.

A row that cannot even be read (an amount that is not yuan, a date that is not a date) is
kept as a problem with its row number, so the import's report names every bad row at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from events.sales.commands import RecordSale
from events.shared.errors import Problem, ValidationFailed
from events.shared.money import parse_yuan

CSV_COLUMNS = ("sale_id", "customer_id", "product_code", "amount", "sold_on", "reference")
REQUIRED = CSV_COLUMNS[:5]


@dataclass
class ParsedRows:
    sales: list[RecordSale] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # row number of each readable sale
    problems: dict[int, list[Problem]] = field(default_factory=dict)


def parse_rows(rows: Iterable[Mapping[str, str | None]]) -> ParsedRows:
    parsed = ParsedRows()
    for n, row in enumerate(rows, start=1):
        sale, problems = parse_row(row)
        if sale is None:
            parsed.problems[n] = problems
        else:
            parsed.sales.append(sale)
            parsed.numbers.append(n)
    return parsed


def parse_row(row: Mapping[str, str | None]) -> tuple[RecordSale | None, list[Problem]]:
    problems: list[Problem] = []
    amount_fen = 0
    sold_on = date.min
    try:
        amount_fen = parse_yuan(row.get("amount") or "", "amount")
    except ValidationFailed as exc:
        problems.extend(Problem("amount", "T2", p.message) for p in exc.problems)
    try:
        sold_on = date.fromisoformat((row.get("sold_on") or "").strip())
    except ValueError:
        problems.append(Problem("soldOn", "T2", f"{row.get('sold_on')!r} is not a YYYY-MM-DD date"))
    if problems:
        return None, problems
    reference = (row.get("reference") or "").strip() or None
    return RecordSale(
        sale_id=(row.get("sale_id") or "").strip(),
        customer_id=(row.get("customer_id") or "").strip(),
        product_code=(row.get("product_code") or "").strip(),
        amount_fen=amount_fen,
        sold_on=sold_on,
        reference=reference,
    ), []


def read_csv(text: str) -> list[dict[str, str | None]]:
    """CSV with a header line naming at least the REQUIRED columns (any order)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed.single(
            "csv", f"the header line lacks {', '.join(missing)}; expected "
            + ",".join(CSV_COLUMNS), "T2")
    reader.fieldnames = header
    return [{k: v for k, v in row.items() if isinstance(k, str)} for row in reader]
