"""The full recompute's own SQL (``every_key``: time entries read in one pass, on PostgreSQL summed
first into a temporary table in parallel; subscriptions matched to their agreement by one grouped
join) gives exactly the rows of the per-key statement every message runs, on SQLite and on
PostgreSQL, for a simulated MSP (``msp-sim`` seed 4: agreements with additions, subscriptions,
invoices, licence findings, several technicians' rate changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from msp_events.testing.replay import replay

from cpi.app import create_service
from cpi.settings import Settings
from cpi.store.ledger import recompute_ledger
from cpi.store.tables import LedgerRow
from msp_sim.generate import generate
from msp_sim.params import Params

KEYS = """SELECT client_id, agreement_id, month FROM time_entries UNION SELECT client_id, agreement_id, month
FROM invoice_lines UNION SELECT client_id, agreement_id, month FROM licence_leakage UNION
SELECT client_id, agreement_id, month FROM ledger UNION SELECT g.client_id, g.agreement_id, m.month
FROM agreements g CROSS JOIN ledger_months m UNION SELECT s.client_id, '', m.month FROM subscriptions s
CROSS JOIN ledger_months m"""


def _rows(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LedgerRow).order_by(LedgerRow.client_id, LedgerRow.agreement_id, LedgerRow.month)  # type: ignore[arg-type]
    ).scalars()
    return [r.model_dump() for r in rows]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def test_the_full_recompute_gives_the_rows_of_the_per_key_statement(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    log = tmp_path / "sim.jsonl"
    generate(Params(4, 6, 3, 5), log)
    url = f"sqlite:///{tmp_path}/cpi.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=url, timeout_s=600
    )
    assert result.dead_letters == []
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            incremental = _rows(session)
            counts = session.execute(
                text("SELECT (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM time_entries)")
            ).one()
            assert counts[0] > 0 and counts[1] > 0  # both branches the full SQL changes are exercised
            keys = [(str(c), str(a), str(m)) for c, a, m in session.execute(text(KEYS))]
            per_key = recompute_ledger(session, keys)  # the statement each message runs, every key
            by_key = _rows(session)
            full = recompute_ledger(session)  # the full recompute's own statements
            assert _rows(session) == by_key == incremental
            assert len(incremental) > 0 and full == per_key
            session.commit()
    finally:
        engine.dispose()
