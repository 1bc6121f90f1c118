"""CSV and Excel files of the dashboard's tables and lists.

CSV starts with a byte-order mark so Excel opens the Chinese intact (as the
complaint list's export does); Excel files are written with openpyxl, one
sheet per table, numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit on a sheet title.
SHEET_TITLE_MAX = 31


@dataclass(frozen=True)
class Table:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return str(value)


def csv_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return response


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook  # only where a workbook is made
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for n, table in enumerate(tables, start=1):
        title = "".join(ch for ch in str(table.title) if ch not in "[]:*?/\\")[:SHEET_TITLE_MAX] or f"Sheet{n}"
        sheet = book.create_sheet(title=title if title not in book.sheetnames else f"{title[:28]}{n}")
        sheet.append([str(h) for h in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in table.headers]
        for row in table.rows:
            values = [_cell(v) for v in row]
            sheet.append(values)
            for i, value in enumerate(values[: len(widths)]):
                widths[i] = max(widths[i], min(60, len(str(value))))
        for i, width in enumerate(widths):
            sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = width * 1.6 + 2
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(tables: Sequence[Table], filename: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(tables), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def response(fmt: str, tables: Sequence[Table], filename: str) -> HttpResponse:
    """The CSV (first table only: a CSV holds one) or the Excel workbook."""
    if fmt == "csv":
        return csv_response(tables[0], filename)
    return xlsx_response(tables, filename)
