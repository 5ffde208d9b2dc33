"""Staff exports (CLI `export` and /export): CSV that opens safely in a spreadsheet, or JSON.

Rows go from the database to the file in batches: an export of 100,000 cases never sits in memory
as Python objects (bench/store.py prints the bot's peak RSS after /export).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from bot.store import Store

# A cell starting with one of these is a formula in spreadsheet programs: prefix it with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp else ""


async def batches(store: Store, what: str) -> AsyncIterator[list[dict[str, Any]]]:
    """`reports` (every case) or `registrations` (one row per registered worker), dates readable."""
    async for rows in store.export_rows(what):
        yield [
            {key: _iso(value) if key in ("created_at", "updated_at") else value for key, value in row.items()}
            for row in rows
        ]


async def write(store: Store, what: str, out: BinaryIO, form: str = "csv") -> int:
    """Write the export to a binary file; returns the number of rows.

    CSV: UTF-8 with BOM (so spreadsheet programs read it as UTF-8), one header row, formulas
    neutralised. JSON: a list of objects, one per line."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        return await (_write_csv if form == "csv" else _write_json)(batches(store, what), text)
    finally:
        text.flush()
        text.detach()  # the caller's file stays open


async def _write_csv(source: AsyncIterator[list[dict[str, Any]]], text: io.TextIOWrapper) -> int:
    text.write("\ufeff")
    writer, count = None, 0
    async for rows in source:
        if writer is None:
            writer = csv.DictWriter(text, fieldnames=list(rows[0]))
            writer.writeheader()
        writer.writerows({key: _safe(value) for key, value in row.items()} for row in rows)
        count += len(rows)
    return count


async def _write_json(source: AsyncIterator[list[dict[str, Any]]], text: io.TextIOWrapper) -> int:
    text.write("[")
    count = 0
    async for rows in source:
        for row in rows:
            text.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
            count += 1
    text.write("\n]\n")
    return count


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
