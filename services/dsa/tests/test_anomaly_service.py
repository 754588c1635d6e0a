"""Anomalies in the service: judged on the midnight ticks (this scenario sends one each Monday)
from the stored spend, published once, re-published when they end, listed by the API and told
apart by feedback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from msp_events import Envelope, Money
from msp_events.testing.replay import replay
from msp_events.types.finance import ExpenseRecorded
from msp_events.types.platform import ClockTicked

from dsa.app import create_service
from dsa.settings import Settings

START = date(2026, 1, 5)  # a Monday
DAYS = 126
SPIKE = 100  # 2026-04-15, a Wednesday
DEPT = "Service Delivery"


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def scenario() -> list[Envelope[Any]]:
    rng = np.random.default_rng(21)
    events: list[Envelope[Any]] = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        if day.weekday() == 0:
            events.append(
                Envelope.build(
                    ClockTicked(now=midnight(day), granularity="day"), source="msp.clock", time=midnight(day)
                )
            )
        amount = 100 + 30 * (day.weekday() < 5) + rng.normal(0, 5) + (400 if i == SPIKE else 0)
        data = ExpenseRecorded(
            expense_id=f"E{i}",
            expense_date=day,
            department=DEPT,
            vendor="Microsoft" if i != SPIKE else "Contoso Cloud",
            category="Software",
            amount=Money(amount=Decimal(f"{amount:.2f}"), currency="USD"),
        )
        events.append(Envelope.build(data, source="finance.odoo", time=midnight(day) + timedelta(hours=18)))
    return events


async def test_a_spike_is_published_once_open_then_once_closed_with_its_vendor(tmp_path: Path) -> None:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        scenario(),
        database_url=f"sqlite:///{tmp_path}/d.db",
    )
    assert result.dead_letters == []
    anomalies = [e for e in result.outputs if e.type == "spend.anomaly.detected"]
    by_dimension: dict[str, list[Any]] = {}
    for e in anomalies:
        by_dimension.setdefault(e.data.dimension, []).append(e.data)
    department = by_dimension["department"]
    assert [(a.status, a.period_start, a.period_end) for a in department] == [
        ("open", START + timedelta(days=SPIKE), START + timedelta(days=SPIKE)),
        ("closed", START + timedelta(days=SPIKE), START + timedelta(days=SPIKE)),
    ]
    opened, closed = department
    assert opened.anomaly_id == closed.anomaly_id and opened.shape == "spike"
    assert Decimal(380) <= opened.impact.amount <= Decimal(420)
    assert opened.root_causes[0].dimension == "vendor" and opened.root_causes[0].value == "Contoso Cloud"
    assert {a.data.anomaly_id for a in anomalies if a.data.dimension == "vendor"}  # the new vendor's series
    assert all(a.data.period_start == START + timedelta(days=SPIKE) for a in anomalies)
