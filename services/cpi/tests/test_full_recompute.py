"""The full recompute's own SQL (every time entry summed per key in one pass into a temporary
table, counted or not; every key into another instead of ``ledger_dirty``; subscriptions matched
to their agreement by one grouped join) gives exactly the rows of the per-key statement every
message runs, on SQLite and on PostgreSQL, for a simulated MSP (``msp-sim`` seed 4: agreements
with additions, subscriptions, invoices, licence findings, several technicians' rate changes), and
again with time entries the ledger does not count (absence, held client, unknown technician)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from msp_events.testing.replay import replay

from cpi.app import create_service
from cpi.settings import Settings
from cpi.store.ledger import recompute_ledger
from cpi.store.tables import LedgerRow, TimeEntry
from msp_sim.generate import generate
from msp_sim.params import Params

KEYS = """SELECT client_id, agreement_id, month FROM time_entries UNION SELECT client_id, agreement_id, month
FROM invoice_lines UNION SELECT client_id, agreement_id, month FROM licence_leakage UNION
SELECT client_id, agreement_id, month FROM ledger UNION SELECT g.client_id, g.agreement_id, m.month
FROM agreements g CROSS JOIN ledger_months m UNION SELECT s.client_id, '', m.month FROM subscriptions s
CROSS JOIN ledger_months m"""


def _entries_the_ledger_does_not_count(session: Session) -> None:
    """Time entries the full recompute groups apart (``counted`` false) but whose keys it must still
    rebuild: an absence on a key nothing else has, a held client's entry, an unknown technician's
    entry on a known client's agreement in a month outside the calendar."""
    client, agreement, technician = session.execute(
        text(
            "SELECT g.client_id, g.agreement_id, (SELECT MIN(technician_id) FROM technicians) "
            "FROM agreements g ORDER BY g.agreement_id LIMIT 1"
        )
    ).one()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for entry_id, client_id, tech, agreement_id, day, absence in (
        ("edge-absence", client, technician, "", date(2031, 3, 2), True),
        ("edge-held-client", "C-UNKNOWN", technician, "", date(2031, 3, 3), False),
        ("edge-unknown-tech", client, "T-UNKNOWN", agreement, date(2031, 4, 4), False),
    ):
        session.add(
            TimeEntry(
                time_entry_id=entry_id,
                client_id=client_id,
                technician_id=tech,
                agreement_id=agreement_id,
                work_date=day,
                month=day.strftime("%Y-%m"),
                absence=absence,
                as_of=at,
                digest=entry_id,
                hours=Decimal("1.5"),
                hours_deducted=Decimal("1.5"),
                multiplier=Decimal(1),
            )
        )
    session.flush()


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
            # entries that count nowhere still make keys (a subscription's cost can land on one)
            _entries_the_ledger_does_not_count(session)
            keys = [(str(c), str(a), str(m)) for c, a, m in session.execute(text(KEYS))]
            per_key = recompute_ledger(session, keys)
            by_key = _rows(session)
            full = recompute_ledger(session)
            assert _rows(session) == by_key and full == per_key
            session.commit()
    finally:
        engine.dispose()
