"""CSV files for French spreadsheets: UTF-8 with a byte order mark (Excel reads the accents)
and ';' separators; no cell a spreadsheet would run as a formula."""

import csv
import io
from collections.abc import Iterable
from datetime import date

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (numbers are left as they are)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    value = str(value)
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def csv_text(headers: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    return buffer.getvalue()


def csv_response(content: str, name: str) -> Response:
    """The file as a download named « <name>-<today>.csv »."""
    return Response(
        content.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{date.today():%Y-%m-%d}.csv"'
        },
    )
