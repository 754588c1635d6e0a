"""A small spend history shared by the golden replay and the Kafka + PostgreSQL test: 18 weeks of
daily software expenses (weekday 130, weekend 100, noise 5) with a 400 spike from a new vendor on
2026-04-15, 18 weeks of one EC2 line stepping from 60 to 110 a day on 2026-04-01 (each day booked
the next morning, as Cost Explorer does), a Q2 budget, and the Monday ticks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from msp_events import Envelope, Money
from msp_events.types.cloud import CloudCostRecorded
from msp_events.types.finance import BudgetSet, ExpenseRecorded
from msp_events.types.platform import ClockTicked

START = date(2026, 1, 5)  # a Monday
DAYS = 126
SPIKE = 100  # 2026-04-15
SHIFT = date(2026, 4, 1)
DEPT = "Service Delivery"


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def usd(amount: float | str) -> Money:
    return Money(amount=Decimal(f"{float(amount):.2f}"), currency="USD")


def scenario() -> list[Envelope[Any]]:
    rng = np.random.default_rng(21)
    cloud_rng = np.random.default_rng(22)
    budget = BudgetSet(
        budget_id="B-2026-Q2-SD",
        department=DEPT,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        planned=usd(30000),
    )
    events: list[Envelope[Any]] = [Envelope.build(budget, source="finance.odoo", time=midnight(START))]
    for i in range(DAYS):
        day = START + timedelta(days=i)
        if day.weekday() == 0:
            events.append(
                Envelope.build(
                    ClockTicked(now=midnight(day), granularity="day"), source="msp.clock", time=midnight(day)
                )
            )
        amount = 100 + 30 * (day.weekday() < 5) + rng.normal(0, 5) + (400 if i == SPIKE else 0)
        expense = ExpenseRecorded(
            expense_id=f"E{i}",
            expense_date=day,
            department=DEPT,
            vendor="Microsoft" if i != SPIKE else "Contoso Cloud",
            category="Software",
            amount=usd(amount),
        )
        events.append(
            Envelope.build(expense, source="finance.odoo", time=midnight(day) + timedelta(hours=18))
        )
        ec2 = (60 if day < SHIFT else 110) + cloud_rng.normal(0, 2)
        cost = CloudCostRecorded(
            cost_line_id=f"ce-ec2-{day}",
            usage_date=day,
            linked_account_id="111122223333",
            service="Amazon Elastic Compute Cloud - Compute",
            department=DEPT,
            unblended_cost=usd(ec2),
        )
        events.append(Envelope.build(cost, source="aws.ce", time=midnight(day) + timedelta(days=1, hours=6)))
    return sorted(events, key=lambda e: e.time)
