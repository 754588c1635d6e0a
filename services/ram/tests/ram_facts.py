"""Facts for RAM's service and replay tests: two hand-worked weeks of time, a margin drop, visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from msp_events import Envelope, Money
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.dispatch import VisitRequested
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import CostRate, Skill, TechnicianUpserted, TicketUpdated, TimeEntryLogged

MON = date(2026, 11, 2)
T0 = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def usd(amount: str | int) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def tech(
    tid: str, cost: int, skills: tuple[str, ...] = (), lat: float = 51.5, lon: float = -0.1
) -> Envelope[Any]:
    data = TechnicianUpserted(
        technician_id=tid,
        name=f"Tech {tid}",
        work_role="Engineer",
        skills=[Skill(name=s) for s in skills],
        home_latitude=lat,
        home_longitude=lon,
        daily_capacity_hours=Decimal(8),
        cost_rates=[CostRate(effective_from=date(2025, 1, 1), hourly_cost=usd(cost))],
        updated_at=T0,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


def entry(tid: str, day: date, hours: str, *, absence: bool = False, n: int = 0) -> Envelope[Any]:
    data = TimeEntryLogged(
        time_entry_id=f"TE-{tid}-{day}-{n}",
        client_id="C0000" if absence else "C1",
        technician_id=tid,
        work_date=day,
        hours=Decimal(hours),
        work_type="PTO" if absence else "Remote Support",
        absence=absence,
        billable_option="non_billable" if absence else "billable",
        hours_billed=Decimal(0) if absence else Decimal(hours),
    )
    return Envelope.build(data, source="psa.connectwise", time=at(day, 17))


def tick(day: date) -> Envelope[Any]:
    return Envelope.build(ClockTicked(now=at(day), granularity="day"), source="msp.clock", time=at(day))


def two_weeks() -> list[Envelope[Any]]:
    """T1 36/40 h then 30/40 h; T2 20 h + 16 h PTO then 10/40 h (hand-worked in the test)."""
    facts: list[Envelope[Any]] = [tech("T1", 60), tech("T2", 40)]
    week1 = [entry("T1", MON + timedelta(days=d), "7.2") for d in range(5)]
    week1 += [entry("T2", MON + timedelta(days=d), "8", absence=True) for d in range(2)]
    week1 += [entry("T2", MON + timedelta(days=d), "6.66") for d in range(2, 5)]
    week2 = [entry("T1", MON + timedelta(days=7 + d), "6") for d in range(5)]
    week2 += [entry("T2", MON + timedelta(days=7 + d), "2") for d in range(5)]
    return [*facts, tick(MON), *week1, tick(MON + timedelta(days=7)), *week2, tick(MON + timedelta(days=14))]


def margin_fell(period: str = "2026-10") -> Envelope[Any]:
    data = ClientProfitabilityChanged(
        client_id="C1",
        period=period,
        gross_margin_pct=Decimal("18.0"),
        previous_gross_margin_pct=Decimal("31.0"),
        band="critical",
        previous_band="thin",
        direction="down",
        revenue=usd(10_000),
        cost=usd(8_200),
        labour_hours=Decimal(120),
        summary="C1's margin fell from 31 % to 18 %.",
    )
    return Envelope.build(data, source="msp.cpi", time=at(MON, 3))


def ticket(
    tid: str, assigned: str | None, hours: str | None, skill: str | None = None, client: str = "C1"
) -> Envelope[Any]:
    data = TicketUpdated(
        ticket_id=tid,
        client_id=client,
        board="Service Desk",
        priority="p3",
        status="in_progress",
        opened_at=T0,
        fix_by=at(MON + timedelta(days=3)),
        estimated_hours=None if hours is None else Decimal(hours),
        required_skill=skill,
        assigned_technician_id=assigned,
        updated_at=T0,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


def visit(
    vid: str, day: date, start: int, end: int, lat: float, lon: float, *, sent: datetime, **kw: Any
) -> Envelope[Any]:
    data = VisitRequested(
        visit_id=vid,
        client_id="C1",
        site_name="Head office",
        latitude=lat,
        longitude=lon,
        window_start=at(day, start),
        window_end=at(day, end),
        duration_minutes=60,
        priority="p1",
        **kw,
    )
    return Envelope.build(data, source="psa.connectwise", time=sent)


def rule1_log() -> list[Envelope[Any]]:
    return [
        tech("T1", 60, ("network",)),
        tech("T2", 40, ("network",)),
        tech("T3", 30),
        ticket("TK1", "T1", "4", "network"),  # T2 is the cheapest who holds network: saves 20 x 4
        ticket("TK2", "T1", "2"),  # T3 takes it: saves 30 x 2
        ticket("TK3", "T3", "1"),  # already the cheapest: stays
        ticket("TK9", "T1", "5", client="C2"),  # another client's work: not moved
        margin_fell(),
    ]


def day_visits() -> list[Envelope[Any]]:
    """Four visits on Monday 2026-11-09, requested the Friday before: planned on that day's tick."""
    day = MON + timedelta(days=7)
    return [
        visit(
            f"V{i}",
            day,
            8 + 2 * i,
            12 + 2 * i,
            51.48 + 0.02 * i,
            -0.14 + 0.02 * i,
            sent=at(MON + timedelta(days=4), 9),
        )
        for i in range(4)
    ]
