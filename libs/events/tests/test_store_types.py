"""Column types the services build on: exact decimals and aware UTC times, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select

from msp_events.runtime.store import ExactNumeric, UtcDateTime, make_engine

metadata = MetaData()
ledger = Table(
    "ledger",
    metadata,
    Column("n", Integer, primary_key=True),
    Column("amount", ExactNumeric(18, 4)),
    Column("at", UtcDateTime()),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/types.db"
    return str(request.getfixturevalue("postgres_url"))


def test_amounts_are_exact_ordered_and_summed_exactly(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    amounts = [Decimal("12345678901234.5678"), Decimal("0.1"), Decimal("0.2"), Decimal("-0.0001"), None]
    with engine.begin() as c:
        c.execute(ledger.insert(), [{"n": i, "amount": a} for i, a in enumerate(amounts)])
    with engine.connect() as c:
        stored = [r.amount for r in c.execute(select(ledger.c.amount).order_by(ledger.c.n))]
        ordered = [
            r.amount
            for r in c.execute(
                select(ledger.c.amount).where(ledger.c.amount.is_not(None)).order_by(ledger.c.amount)
            )
        ]
        total = c.execute(select(func.sum(ledger.c.amount))).scalar_one()
    engine.dispose()
    assert stored == [
        Decimal("12345678901234.5678"),
        Decimal("0.1000"),
        Decimal("0.2000"),
        Decimal("-0.0001"),
        None,
    ]
    assert str(stored[1]) == "0.1000"  # same scale as NUMERIC(18, 4) returns on PostgreSQL
    assert ordered == [Decimal("-0.0001"), Decimal("0.1"), Decimal("0.2"), Decimal("12345678901234.5678")]
    assert total == Decimal("12345678901234.8677")


def test_extra_digits_round_half_up_like_numeric(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(
            ledger.insert(), [{"n": 1, "amount": Decimal("1.23455")}, {"n": 2, "amount": Decimal("-1.23455")}]
        )
    with engine.connect() as c:
        assert [r.amount for r in c.execute(select(ledger.c.amount).order_by(ledger.c.n))] == [
            Decimal("1.2346"),
            Decimal("-1.2346"),
        ]
    engine.dispose()


def test_times_come_back_aware_in_utc_and_naive_ones_are_refused(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    paris = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    with engine.begin() as c:
        c.execute(ledger.insert().values(n=1, at=paris))
    with engine.connect() as c:
        assert c.execute(select(ledger.c.at)).scalar_one() == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as c:
        c.execute(ledger.insert().values(n=2, at=datetime(2026, 3, 1, 10, 0)))
    engine.dispose()
