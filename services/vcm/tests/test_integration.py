"""VCM on real Kafka + PostgreSQL: the golden mailbox gives the recorded events (ids included),
the same register as in process on SQLite, and full-text search through PostgreSQL's tsvector."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from msp_events.testing.replay import assert_matches_golden, replay

from vcm.app import create_service
from vcm.settings import Settings
from vcm.store.contracts import ContractRepository
from vcm.store.tables import ContractRow, RenewalReminder

sys.path.insert(0, str(Path(__file__).parent))
from test_register_replay import EXPECTED, LOG

pytestmark = pytest.mark.integration


def register(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[str]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            contracts = [
                (
                    r.contract_id,
                    r.state,
                    r.read_status,
                    r.expiration_date,
                    r.notice_value,
                    r.annual_value,
                    r.terms_json,
                )
                for r in session.exec(select(ContractRow).order_by(col(ContractRow.contract_id)))
            ]
            reminders = [
                (r.contract_id, r.notice_deadline, r.offset_days, r.outcome)
                for r in session.exec(
                    select(RenewalReminder).order_by(
                        col(RenewalReminder.contract_id), col(RenewalReminder.offset_days)
                    )
                )
            ]
            found = ContractRepository(session).search("automatically renew notice")
            return contracts, reminders, sorted(found)
    finally:
        engine.dispose()


async def test_the_mailbox_on_kafka_and_postgresql_matches_sqlite(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess")
    sqlite = f"sqlite:///{tmp_path}/vcm.db"
    await replay(create_service, settings, LOG, database_url=sqlite, order="day")
    result = await replay(
        create_service,
        settings,
        LOG,
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        order="day",
        timeout_s=240,
    )
    assert result.dead_letters == []
    outputs = [e for e in result.outputs if e.type in ("contract.terms.extracted", "contract.renewal.due")]
    assert_matches_golden(outputs, EXPECTED)
    on_postgres = register(postgres_url)
    assert on_postgres[0] and on_postgres == register(sqlite)
    assert "VC-f4fe5d33b881" in on_postgres[2]
