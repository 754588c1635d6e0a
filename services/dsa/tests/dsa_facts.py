"""A small spend history shared by the golden replay and the Kafka + PostgreSQL test: 18 weeks of
daily software expenses (weekday 130, weekend 100, noise 5) with a 400 spike from a new vendor on
2026-04-15, 18 weeks of one EC2 line stepping from 60 to 110 a day on 2026-04-01 (each day booked
the next morning, as Cost Explorer does), a Q2 budget, and the Monday ticks. For the ROI ledger: an
SLI finding of unused seats (300 a month on 2 February, 450 from 16 February, resolved 18 March),
a renewal notice for Microsoft (renewing 15 April, 30,000 a year, 5 % uplift) on 6 April, and
RAM's advice of 2 March to move client C-1's ticket T-9 (400 a month) and visit V-9 (200) to
TECH-B, the ticket assigned to TECH-B on 9 March."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from msp_events import Envelope, Money
from msp_events.types.agents import (
    AllocationMove,
    ContractRenewalDue,
    LicenseComplianceViolation,
    ResourceAllocationRecommended,
)
from msp_events.types.cloud import CloudCostRecorded
from msp_events.types.finance import BudgetSet, ExpenseRecorded
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import CostRate, TechnicianUpserted, TicketUpdated, TimeEntryLogged

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
        events.append(  # the platform clock's daily tick: DSA judges the days booked before it
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
    events += roi_facts()
    return sorted(events, key=lambda e: e.time)


def roi_facts() -> list[Envelope[Any]]:
    """What the ROI ledger reads besides spend: SLI's reports of one finding and a renewal notice."""
    events: list[Envelope[Any]] = []
    for day, status, exposure, unused in (
        (date(2026, 2, 2), "open", 300, 4),
        (date(2026, 2, 16), "open", 450, 6),
        (date(2026, 3, 18), "resolved", 0, 0),
    ):
        finding = LicenseComplianceViolation(
            violation_id="V-SPB-C1",
            client_id="C-1",
            kind="unused_seats",
            sku_id="SPB",
            seats_purchased=20,
            seats_assigned=20,
            seats_active=20 - unused,
            seats_affected=unused,
            monthly_exposure=usd(exposure),
            recommended_action="reduce_seats",
            summary=f"{unused} unused seats of Microsoft 365 Business Premium",
            status=status,  # type: ignore[arg-type]
            exposure_nature="saving",
        )
        events.append(Envelope.build(finding, source="msp.sli", time=midnight(day) + timedelta(hours=7)))
    due = ContractRenewalDue(
        contract_id="K-MS-EA",
        vendor="Microsoft",
        department=DEPT,
        renewal_date=date(2026, 4, 15),
        notice_deadline=date(2026, 4, 10),
        days_to_notice_deadline=4,
        auto_renew=True,
        renewal_term_months=12,
        annual_value=usd(30000),
        expected_uplift_pct=Decimal(5),
        summary="Microsoft EA renews on 2026-04-15",
    )
    events.append(Envelope.build(due, source="msp.vcm", time=midnight(date(2026, 4, 6)) + timedelta(hours=6)))
    return events + allocation_facts()


def allocation_move(work_id: str, kind: str, saving: float | str) -> AllocationMove:
    """One of RAM's moves from TECH-A to TECH-B (a visit made remote)."""
    return AllocationMove(
        work_id=work_id,
        kind=kind,  # type: ignore[arg-type]
        from_technician_id="TECH-A",
        to_technician_id="TECH-B",
        remote=kind == "visit",
        hours=Decimal(6),
        monthly_saving=usd(saving),
        reason="qualified and cheaper",
    )


def technician(technician_id: str, *rates: tuple[date, str], at: datetime) -> Envelope[TechnicianUpserted]:
    """A technician's state with its cost rates (each from its day until the next one)."""
    cost_rates = [
        CostRate(
            effective_from=start,
            effective_to=rates[k + 1][0] - timedelta(days=1) if k + 1 < len(rates) else None,
            hourly_cost=usd(cost),
        )
        for k, (start, cost) in enumerate(rates)
    ]
    data = TechnicianUpserted(
        technician_id=technician_id,
        name=technician_id.title(),
        work_role="Engineer L2",
        daily_capacity_hours=Decimal(8),
        cost_rates=cost_rates,
    )
    return Envelope.build(data, source="psa.halo", time=at)


def time_entry(
    entry_id: str, ticket_id: str, technician_id: str, day: date, hours: str, at: datetime
) -> Envelope[TimeEntryLogged]:
    """Hours logged on a ticket (booked at ``at``; re-sent with the same id it is a correction)."""
    data = TimeEntryLogged(
        time_entry_id=entry_id,
        client_id="C-1",
        technician_id=technician_id,
        ticket_id=ticket_id,
        work_date=day,
        hours=Decimal(hours),
        work_type="Remote Support",
        billable_option="billable",
        hours_billed=Decimal(hours),
    )
    return Envelope.build(data, source="psa.halo", time=at)


def allocation_facts() -> list[Envelope[Any]]:
    """RAM's advice for C-1 and the ticket states that show one of its two moves done."""
    moves = [allocation_move("T-9", "ticket", 400), allocation_move("V-9", "visit", 200)]
    advice = ResourceAllocationRecommended(
        client_id="C-1",
        period="2026-02",
        gross_margin_pct=Decimal("17.5"),
        monthly_saving=usd(600),
        moves=moves,
        summary="move C-1's ticket T-9 and visit V-9 to TECH-B: 600 a month",
    )
    events: list[Envelope[Any]] = [
        Envelope.build(advice, source="msp.ram", time=midnight(date(2026, 3, 2)) + timedelta(hours=10))
    ]
    for day, assigned in ((date(2026, 2, 20), "TECH-A"), (date(2026, 3, 9), "TECH-B")):
        state = TicketUpdated(
            ticket_id="T-9",
            client_id="C-1",
            board="Service Desk",
            priority="p3",
            status="in_progress",
            opened_at=midnight(date(2026, 2, 20)),
            updated_at=midnight(day) + timedelta(hours=11),
            assigned_technician_id=assigned,
        )
        events.append(Envelope.build(state, source="psa.halo", time=state.updated_at))
    # what the move saved: TECH-B's 5 hours on T-9 in March at 60 - 40 = 100
    at = midnight(date(2026, 1, 5))
    events += [
        technician("TECH-A", (date(2026, 1, 1), "60"), at=at),
        technician("TECH-B", (date(2026, 1, 1), "40"), at=at),
    ]
    for k, (day, hours) in enumerate(((date(2026, 3, 10), "3"), (date(2026, 3, 12), "2"))):
        events.append(time_entry(f"TE-{k}", "T-9", "TECH-B", day, hours, midnight(day) + timedelta(hours=17)))
    return events
