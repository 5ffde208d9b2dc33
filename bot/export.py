"""Staff exports (CLI `export` and /export): rows as CSV that opens safely in a spreadsheet, or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from bot.store import Store

# A cell starting with one of these is a formula in spreadsheet programs: prefix it with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp else ""


async def rows(store: Store, what: str) -> list[dict[str, Any]]:
    """`reports` (every case) or `registrations` (one row per registered worker)."""
    if what == "reports":
        return [
            {**row, "created_at": _iso(row["created_at"]), "updated_at": _iso(row["updated_at"])}
            for row in await store.export_cases()
        ]
    return [{**row, "updated_at": _iso(row["updated_at"])} for row in await store.export_registrations()]


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(data: list[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM (so spreadsheet programs read it as UTF-8), one header row, formulas neutralised."""
    buffer = io.StringIO()
    if data:
        writer = csv.DictWriter(buffer, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows({key: _safe(value) for key, value in row.items()} for row in data)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(data: list[dict[str, Any]]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
