"""CSV for spreadsheets: one header row, then the rows; a cell that a spreadsheet would run as a
formula (=, +, -, @ first) is prefixed with an apostrophe, so an exported value never executes."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True, default=str)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def render(header: list[str] | None, rows) -> str:
    """The CSV text; without a header row when header is None (a file's later chunk)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def attachment(text: str, filename: str):
    """The CSV as a download."""
    import azure.functions as func
    return func.HttpResponse(text.encode("utf-8"), status_code=200, mimetype="text/csv",
                             charset="utf-8", headers={
                                 "Content-Disposition": f'attachment; filename="{filename}"'})
