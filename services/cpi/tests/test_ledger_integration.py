"""The ledger on real Kafka + PostgreSQL: the golden log gives the same ledger rows as on the
in-process transport with SQLite, and a full set-wise recompute on PostgreSQL changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from msp_events.testing.replay import replay_on_sqlite_and_kafka

from cpi.app import create_service
from cpi.settings import Settings
from cpi.store.ledger import recompute_ledger
from cpi.store.tables import LedgerRow, MarginJudgement

sys.path.insert(0, str(Path(__file__).parent))
from test_ledger_replay import LOG, ledger_rows

pytestmark = pytest.mark.integration


def judgements(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(MarginJudgement).order_by(MarginJudgement.client_id, MarginJudgement.month)  # type: ignore[arg-type]
            ).scalars()
            return [(j.client_id, j.month, j.band) for j in rows]
    finally:
        engine.dispose()


def state(url: str) -> dict[str, Any]:
    """The ledger rows and, for every closed month, its band: the same whatever order the topics
    were read in (empty, so a failure, when there is no ledger)."""
    rows = ledger_rows(url)
    return {"ledger": rows, "bands": judgements(url)} if rows else {}


async def test_the_ledger_on_kafka_and_postgresql_matches_sqlite(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    await replay_on_sqlite_and_kafka(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        LOG,
        sqlite_path=tmp_path / "cpi.db",
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        state=state,
    )
    expected = ledger_rows(postgres_url)
    engine = create_engine(postgres_url)
    try:
        with Session(engine) as session:
            # the full recompute keeps its keys in a temporary table: ledger_dirty and what the
            # planner knows of it (a few keys per message: index plans) are left as they were
            stats = "SELECT reltuples FROM pg_class WHERE relname = 'ledger_dirty'"
            dirty_stats = session.execute(text(stats)).scalar_one()
            assert recompute_ledger(session) == 10  # 2 clients x 5 calendar months (May: the last tick)
            session.commit()
            assert session.execute(select(LedgerRow)).scalars().all()
            assert session.execute(text(stats)).scalar_one() == dirty_stats
            assert session.execute(text("SELECT count(*) FROM ledger_dirty")).scalar_one() == 0
    finally:
        engine.dispose()
    assert ledger_rows(postgres_url) == expected
