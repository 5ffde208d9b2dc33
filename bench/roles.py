"""Scope by place: what an officer's /cases, /stats and per-case check cost, beside an admin's
(no scope: the baseline) in the same run.

    python bench/roles.py [--cases 20000]

Fills an in-memory store with cases spread over 50 districts and 7 villages each, then times
list_cases("open"), stats_report and in_scope for an admin (every case) and for an officer who
serves one district and one village of another district.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bot.store import Store

START = 1_700_000_000


async def _fill(store: Store, count: int) -> None:
    async with store.db.transaction() as db:
        for i in range(count):
            await db.execute(
                "INSERT INTO cases (reference, category, subject, contact_method, lang, status, created_at,"
                " updated_at) VALUES (?, 'other', 'me', 'none', 'id', ?, ?, ?)",
                (f"LP-{i:06d}", ("new", "in_progress", "resolved")[i % 3], START + i, START + i),
            )
            await db.execute(
                "INSERT INTO case_places (case_id, district, village) VALUES (?, ?, ?)",
                (i + 1, f"District {i % 50}", f"V{i % 7}"),
            )


async def _ms(call, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        await call()
    return (time.perf_counter() - started) / repeat * 1000


async def run(count: int) -> None:
    store = await Store.open(":memory:")
    try:
        await _fill(store, count)
        await store.sync_env_admins([1])
        await store.set_staff(1, 2, "officer", [("District 3", ""), ("District 7", "V1")])
        print(f"{count} cases; per call, ms      admin (baseline)   officer")
        for name, make in (
            ("list_cases open", lambda who: lambda: store.list_cases("open", who)),
            ("stats_report", lambda who: lambda: store.stats_report(staff_id=who)),
            ("in_scope", lambda who: lambda: store.in_scope(who, count // 2)),
        ):
            admin, officer = await _ms(make(1), 20), await _ms(make(2), 20)
            print(f"{name:<30} {admin:>16.2f} {officer:>9.2f}")
    finally:
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    asyncio.run(run(parser.parse_args().cases))
