"""Exports: batches from the store, CSV that a spreadsheet opens safely, JSON, and the CLI command."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from bot import export
from bot.store import Store


async def filled(path, cases: int) -> Store:
    store = await Store.open(path)
    async with store.db.transaction() as db:
        await db.executemany(
            "INSERT INTO cases (reference, category, subject, description, contact_method, lang,"
            " created_at, updated_at) VALUES (?, 'unpaid_wages', 'family', ?, 'telegram', 'id', 0, 86400)",
            [(f"LP-{n:06d}", '=HYPERLINK("http://x")' if n == 7 else f"Gaji ke-{n}") for n in range(cases)],
        )
    return store


async def test_rows_come_in_batches_not_all_at_once(tmp_path):
    store = await filled(tmp_path / "db", 1234)
    try:
        sizes = [len(rows) async for rows in store.export_rows("reports")]
    finally:
        await store.close()
    assert sizes == [500, 500, 234]


async def test_csv_has_bom_header_readable_dates_and_no_live_formulas(tmp_path):
    store = await filled(tmp_path / "db", 1234)
    out = io.BytesIO()
    try:
        count = await export.write(store, "reports", out)
    finally:
        await store.close()
    assert count == 1234 and out.getvalue().startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert len(table) == 1234 and table[0]["reference"] == "LP-000000"
    assert table[0]["updated_at"] == "1970-01-02T00:00:00+00:00"
    assert table[7]["description"] == '\'=HYPERLINK("http://x")'
    assert not out.closed  # the caller's file stays open


async def test_json_is_one_list_and_an_empty_export_is_valid(tmp_path):
    store = await filled(tmp_path / "db", 3)
    full, empty = io.BytesIO(), io.BytesIO()
    try:
        await export.write(store, "reports", full, "json")
        assert await export.write(store, "registrations", empty, "json") == 0
    finally:
        await store.close()
    assert [row["reference"] for row in json.loads(full.getvalue())] == [
        "LP-000000",
        "LP-000001",
        "LP-000002",
    ]
    assert json.loads(empty.getvalue()) == []


@pytest.mark.parametrize("form", ["csv", "json"])
async def test_the_cli_writes_an_owner_only_file(tmp_path, form):
    database = tmp_path / "bot.sqlite3"
    await (await filled(database, 600)).close()
    target = tmp_path / "out" / f"reports.{form}"
    env = {**os.environ, "DATABASE_PATH": str(database), "BOT_TOKEN": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "reports", "--format", form, "--out", str(target)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "600 rows written" in done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    body = target.read_text("utf-8-sig")
    rows = json.loads(body) if form == "json" else list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 600
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT actor, action, detail FROM audit").fetchall() == [
            (0, "export", "reports (command line)")
        ]
