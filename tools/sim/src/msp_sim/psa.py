"""The PSA: master data (clients, agreements, technicians), tickets and time entries.

Demand: tickets per user per month around 0.9 (msp-benchmarks §4: ~1.0-1.25 per user, well-run
0.5-1.5 per endpoint), spread over the month by the day weights in ``timeline`` and over the day
by the hour shape, multiplied by any planted scope creep or churn dissatisfaction. Priorities
P1-P4 follow the illustrative 4/18/55/23 % mix with SLA targets of 30 min / 1 / 4 / 8 business
hours to respond and 8 h / 12 / 24 / 48 business hours to resolve; about 5 % of tickets miss a
target normally (adherence ~95 %). Work takes a lognormal 0.75 h on average (AGMSP: < 1 h).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.psa import (
    ClientUpserted,
    CostRate,
    Site,
    Skill,
    TechnicianUpserted,
    TicketUpdated,
    TimeEntryLogged,
)

from msp_sim.agreements import agreement_event, renewal_dates
from msp_sim.context import MonthContext
from msp_sim.dispatch import visit_for
from msp_sim.rng import lognormal_median, poisson, quarter_hours, stream, weighted
from msp_sim.timeline import (
    HOUR_WEIGHTS,
    LOCAL_TZ,
    MONDAY_HOUR_BOOST,
    MONTH_FACTOR,
    add_business_hours,
    days_of_month,
    is_holiday,
    local_to_utc,
    period,
    ticket_day_weight,
    utc_midnight,
)
from msp_sim.world import MSP_COMPANY_ID, Client, Technician

PSA_SOURCE = "psa.connectwise"


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    weight: float
    board: str
    ticket_type: str
    skill: str
    onsite: float
    vendor: str
    summaries: tuple[str, ...]


CATEGORIES = (
    Category(
        "access",
        0.28,
        "Service Desk",
        "service_request",
        "Microsoft 365",
        0.0,
        "Microsoft",
        ("Password reset", "Account locked out", "MFA re-registration"),
    ),
    Category(
        "licensing",
        0.16,
        "Service Desk",
        "service_request",
        "Microsoft 365",
        0.0,
        "Microsoft",
        ("New starter setup", "Shared mailbox access", "Add Teams phone licence"),
    ),
    Category(
        "remote",
        0.11,
        "Service Desk",
        "incident",
        "Networking",
        0.05,
        "Cisco",
        ("VPN not connecting", "Remote desktop unavailable"),
    ),
    Category(
        "printer",
        0.09,
        "Service Desk",
        "incident",
        "Printers",
        0.3,
        "HP",
        ("Printer offline", "Scan to e-mail failing"),
    ),
    Category(
        "apps",
        0.08,
        "Service Desk",
        "incident",
        "Windows",
        0.0,
        "Microsoft",
        ("Outlook keeps crashing", "Line-of-business app error"),
    ),
    Category(
        "engineering",
        0.2,
        "Projects",
        "change",
        "Servers",
        0.2,
        "Dell",
        ("Replace failing laptop", "Firewall rule change", "Server disk space low"),
    ),
    Category(
        "alerts",
        0.08,
        "Alerts",
        "alert",
        "Backup",
        0.0,
        "Datto",
        ("Backup job failed", "Disk usage above 90 %", "Threat quarantined"),
    ),
)
PRIORITIES = ("p1", "p2", "p3", "p4")
PRIORITY_WEIGHTS = (0.04, 0.18, 0.55, 0.23)
RESPONSE = {"p1": (0.5, False), "p2": (1.0, True), "p3": (4.0, True), "p4": (8.0, True)}
RESOLUTION = {"p1": (8.0, False), "p2": (12.0, True), "p3": (24.0, True), "p4": (48.0, True)}
BLOCK_DEDUCTION = {"p1": Decimal("2"), "p2": Decimal("1.5"), "p3": Decimal("1"), "p4": Decimal("1")}
BASE_BREACH_RATE = 0.05
CSAT_RESPONSE_RATE = 0.25


def _due(start: datetime, target: tuple[float, bool]) -> datetime:
    hours, business = target
    return add_business_hours(start, hours) if business else start + timedelta(hours=hours)


def invoice_id(client: Client, first_of_month: date) -> str:
    return f"INV-{period(first_of_month).replace('-', '')}-{client.number:04d}"


# --- master data ---------------------------------------------------------------------------


def client_event(ctx: MonthContext, client: Client, at: datetime, churned: bool) -> ClientUpserted:
    churn = ctx.plan.churn.get(client.client_id)
    office = client.head_office
    return ClientUpserted(
        client_id=client.client_id,
        name=client.name,
        status="churned" if churned else "active",
        tier=client.tier,
        industry=client.industry,
        employee_count=len(client.users),
        address_line1=office.address,
        city=office.city,
        state=office.state,
        postal_code=office.postal_code,
        country="US",
        latitude=office.latitude,
        longitude=office.longitude,
        sites=[
            Site(
                site_id=s.site_id,
                name=s.name,
                address_line1=s.address,
                city=s.city,
                postal_code=s.postal_code,
                country="US",
                latitude=s.latitude,
                longitude=s.longitude,
                primary=s.primary,
            )
            for s in client.sites
        ],
        account_manager_id=client.account_manager_id,
        account_manager_name=client.account_manager_name,
        currency=ctx.params.currency,
        created_on=client.created_on,
        churned_on=churn.churned_on if churned and churn else None,
        churn_reason=(
            (
                "Did not renew: service dissatisfaction"
                if churn.driver == "service_dissatisfaction"
                else "Did not renew: budget pressure"
            )
            if churned and churn
            else None
        ),
        updated_at=at,
    )


def technician_event(ctx: MonthContext, tech: Technician, day: date, at: datetime) -> TechnicianUpserted:
    known = [(d, r) for d, r in tech.cost_history if d <= day]
    rates = []
    for i, (effective, rate) in enumerate(known):
        to = known[i + 1][0] - timedelta(days=1) if i + 1 < len(known) else None
        rates.append(
            CostRate(
                effective_from=effective,
                effective_to=to,
                hourly_cost=Money(amount=rate, currency=ctx.params.currency),
            )
        )
    return TechnicianUpserted(
        technician_id=tech.technician_id,
        name=tech.name,
        email=tech.email,
        work_role=tech.role,
        skills=[Skill(name=name, level=level) for name, level in tech.skills],
        time_zone="America/Chicago",
        home_latitude=tech.home_latitude,
        home_longitude=tech.home_longitude,
        daily_capacity_hours=Decimal("8"),
        weekly_billable_hours_target=tech.weekly_billable_target,
        cost_rates=rates,
        hourly_rate=Money(amount=tech.hourly_rate, currency=ctx.params.currency),
        updated_at=at,
    )


def master_data(ctx: MonthContext) -> None:
    """Initial state on the first day, then every change on the day it happens."""
    p = ctx.params
    start_at = utc_midnight(p.start)
    if ctx.index == 0:
        for tech in ctx.world.technicians:
            ctx.emit(technician_event(ctx, tech, p.start, start_at), source=PSA_SOURCE, time=start_at)
        for client in ctx.world.clients:
            ctx.emit(client_event(ctx, client, start_at, False), source=PSA_SOURCE, time=start_at)
            ctx.emit(
                agreement_event(p.seed, ctx.plan, client, p.start, p.start, start_at, p.currency),
                source=PSA_SOURCE,
                time=start_at,
            )
    for tech in ctx.world.technicians:
        for effective, _ in tech.cost_history:
            if ctx.first <= effective <= ctx.last and effective > p.start:
                at = local_to_utc(effective, 7)
                ctx.emit(technician_event(ctx, tech, effective, at), source=PSA_SOURCE, time=at)
    for client in ctx.world.clients:
        churn = ctx.plan.churn.get(client.client_id)
        changes: list[tuple[date, date, datetime]] = []
        for renewal in renewal_dates(client, max(p.start + timedelta(days=1), ctx.first), ctx.last):
            if churn is None or renewal <= churn.notice_on:
                changes.append((renewal, renewal, local_to_utc(renewal, 6)))
        if churn is not None:
            if ctx.first <= churn.notice_on <= ctx.last:
                changes.append((churn.notice_on, churn.notice_on, local_to_utc(churn.notice_on, 11)))
            if ctx.first <= churn.churned_on <= ctx.last:
                at = local_to_utc(churn.churned_on, 17)
                changes.append((churn.churned_on + timedelta(days=1), churn.churned_on, at))
                ctx.emit(client_event(ctx, client, at, True), source=PSA_SOURCE, time=at)
        for as_of, _, at in changes:
            ctx.emit(
                agreement_event(p.seed, ctx.plan, client, p.start, as_of, at, p.currency),
                source=PSA_SOURCE,
                time=at,
            )


# --- tickets and time ---------------------------------------------------------------------


class Dispatcher:
    """Chooses the technician for a ticket: the client's primary technician most often, otherwise
    anyone weighted by skill and by the planted load (over-/under-utilised technicians)."""

    def __init__(self, ctx: MonthContext) -> None:
        self.techs = ctx.world.technicians
        self.plan = ctx.plan
        self.base: dict[str, list[float]] = {}
        for category in CATEGORIES:
            self.base[category.skill] = [self._weight(t, category.skill) for t in self.techs]
        self.totals = {skill: sum(w) for skill, w in self.base.items()}

    def _weight(self, tech: Technician, skill: str) -> float:
        held = any(name == skill for name, _ in tech.skills)
        return self.plan.load_weights.get(tech.technician_id, 1.0) * (2.0 if held else 0.6)

    def choose(self, rng: random.Random, client: Client, skill: str, day: date) -> Technician:
        primary = int(client.primary_technician_id[1:]) - 1
        weights = self.base[skill]
        w_primary = weights[primary] * self.plan.primary_weight.get(client.client_id, 5.0)
        for _ in range(4):
            if rng.random() < w_primary / (w_primary + self.totals[skill]):
                tech = self.techs[primary]
            else:
                tech = rng.choices(self.techs, weights=weights, k=1)[0]
            if day not in tech.pto_days:
                return tech
        return tech


def tickets(ctx: MonthContext) -> None:
    dispatcher = Dispatcher(ctx)
    days = days_of_month(ctx.first)
    day_weights = [ticket_day_weight(d) for d in days]
    total_weight = sum(day_weights)
    for client in ctx.world.clients:
        if not ctx.active(client.client_id, ctx.first):
            continue
        rng = stream(ctx.seed, "tickets", client.client_id, ctx.period)
        monthly = len(client.users) * client.tickets_per_user_month * MONTH_FACTOR[ctx.first.month]
        seq = 0
        for day, weight in zip(days, day_weights, strict=True):
            if not ctx.active(client.client_id, day):
                break
            lam = monthly * weight / total_weight * ctx.plan.ticket_multiplier(client.client_id, day)
            for _ in range(poisson(rng, lam)):
                seq += 1
                _ticket(ctx, rng, dispatcher, client, day, seq)


def _opened_at(rng: random.Random, day: date) -> datetime:
    weights = list(HOUR_WEIGHTS)
    if day.weekday() == 0:
        for hour, boost in MONDAY_HOUR_BOOST.items():
            weights[hour] *= boost
    hour = rng.choices(range(24), weights=weights, k=1)[0]
    return local_to_utc(day, hour, rng.randint(0, 59), rng.randint(0, 59))


def _ticket(
    ctx: MonthContext, rng: random.Random, dispatcher: Dispatcher, client: Client, day: date, seq: int
) -> None:
    cid = client.client_id
    category = weighted(rng, CATEGORIES, [c.weight for c in CATEGORIES])
    priority = weighted(rng, PRIORITIES, PRIORITY_WEIGHTS)
    ticket_id = f"TK{client.number:04d}{ctx.period.replace('-', '')}{seq:04d}"
    opened = _opened_at(rng, day)
    respond_by = _due(opened, RESPONSE[priority])
    fix_by = _due(opened, RESOLUTION[priority])
    dissatisfaction = ctx.plan.dissatisfaction(cid, day)
    churn = ctx.plan.churn.get(cid)
    breach_rate = BASE_BREACH_RATE + (
        (churn.sla_breach_rate - BASE_BREACH_RATE) * dissatisfaction if churn else 0.0
    )
    miss = rng.random() < breach_rate
    miss_response = miss and rng.random() < 0.4
    responded = opened + (respond_by - opened) * (
        rng.uniform(1.2, 3.0) if miss_response else rng.uniform(0.1, 0.9)
    )
    hours = min(12.0, lognormal_median(rng, 0.75, 0.7))
    if miss and not miss_response:
        closed = fix_by + (fix_by - opened) * rng.uniform(0.05, 0.8)
    else:
        closed = responded + max(timedelta(0), fix_by - responded) * rng.uniform(0.1, 0.9)
    closed = max(closed, responded + timedelta(hours=hours))
    breached = responded > respond_by or closed > fix_by
    tech = dispatcher.choose(rng, client, category.skill, day)
    site = client.sites[rng.randrange(len(client.sites))]
    onsite = rng.random() < category.onsite and priority != "p1"
    summary = rng.choice(category.summaries)
    csat = None
    csat_at = None
    if rng.random() < CSAT_RESPONSE_RATE:
        negative = max(
            (1 - client.csat_positive) * 0.4, (churn.negative_csat_rate * dissatisfaction) if churn else 0.0
        )
        neutral = (1 - client.csat_positive) * 0.6
        roll = rng.random()
        csat = "negative" if roll < negative else "neutral" if roll < negative + neutral else "positive"
        csat_at = closed + timedelta(hours=rng.uniform(1, 30))
    observed = ctx.observed.client(cid, day)
    observed.tickets_opened += 1
    observed.sla_breaches += breached
    if csat is not None:
        observed.csat_responses += 1
        observed.csat_negative += csat == "negative"

    def state(status: str, at: datetime, **extra: object) -> TicketUpdated:
        return TicketUpdated(
            ticket_id=ticket_id,
            client_id=cid,
            agreement_id=client.agreement.agreement_id,
            summary=summary,
            board=category.board,
            priority=priority,
            status=status,
            ticket_type=category.ticket_type,
            opened_at=opened,
            respond_by=respond_by,
            fix_by=fix_by,
            estimated_hours=quarter_hours(hours * rng.uniform(0.7, 1.3)),
            required_skill=category.skill,
            site_id=site.site_id,
            product_vendor=category.vendor,
            updated_at=at,
            **extra,
        )

    ctx.emit(state("new", opened), source=PSA_SOURCE, time=opened)
    ctx.emit(
        state(
            "scheduled" if onsite else "in_progress",
            responded,
            responded_at=responded,
            assigned_technician_id=tech.technician_id,
        ),
        source=PSA_SOURCE,
        time=responded,
    )
    final = {
        "responded_at": responded,
        "closed_at": closed,
        "sla_breached": breached,
        "actual_hours": quarter_hours(hours) + (Decimal("0.5") if onsite else Decimal(0)),
        "assigned_technician_id": tech.technician_id,
    }
    ctx.emit(state("closed", closed, **final), source=PSA_SOURCE, time=closed)
    if csat is not None and csat_at is not None:
        ctx.emit(state("closed", csat_at, csat_rating=csat, **final), source=PSA_SOURCE, time=csat_at)
    if onsite:
        visit = visit_for(rng, client, site, ticket_id, priority, responded, hours, category.skill)
        ctx.emit(visit, source=PSA_SOURCE, time=responded)
        work_start = visit.window_start
        _time_entry(
            ctx, client, tech, ticket_id, priority, 1, work_start - timedelta(minutes=30), 0.5, "Travel"
        )
        _time_entry(ctx, client, tech, ticket_id, priority, 2, work_start, hours, "Onsite")
    elif hours > 1.5:
        first = hours * rng.uniform(0.3, 0.6)
        _time_entry(ctx, client, tech, ticket_id, priority, 1, responded, first, "Remote Support")
        _time_entry(
            ctx,
            client,
            tech,
            ticket_id,
            priority,
            2,
            max(responded + timedelta(hours=first), closed - timedelta(hours=hours - first)),
            hours - first,
            "Remote Support",
        )
    else:
        _time_entry(ctx, client, tech, ticket_id, priority, 1, responded, hours, "Remote Support")


def _time_entry(
    ctx: MonthContext,
    client: Client,
    tech: Technician,
    ticket_id: str,
    priority: str,
    n: int,
    start: datetime,
    hours_worked: float,
    work_type: str,
) -> None:
    hours = quarter_hours(hours_worked)
    end = start + timedelta(hours=float(hours))
    work_date = start.astimezone(LOCAL_TZ).date()
    if work_date > ctx.params.end or end.date() > ctx.params.end:
        return
    agreement = client.agreement
    currency = ctx.params.currency
    kind = agreement.agreement_type
    travel = work_type == "Travel"
    deducted = None
    rate = None
    invoice = None
    next_month = (work_date.replace(day=28) + timedelta(days=4)).replace(day=1)
    if kind == "managed_services" or travel:
        option, billed = "no_charge", Decimal(0)
    elif kind == "block_hours":
        option, billed = "billable", hours
        deducted = hours * BLOCK_DEDUCTION[priority]
        rate = Money(amount=agreement.hourly_rate, currency=currency)
        balance = (
            ctx.state.block_balance.get(client.client_id, agreement.included_hours or Decimal(0)) - deducted
        )
        if agreement.included_hours is not None and balance < agreement.included_hours * Decimal("0.3"):
            ctx.state.block_purchases[(client.client_id, period(work_date))] += 1
            balance += agreement.included_hours
        ctx.state.block_balance[client.client_id] = balance
    else:
        option, billed = "billable", hours
        rate = Money(amount=agreement.hourly_rate, currency=currency)
        ctx.state.tm_unbilled[(client.client_id, period(work_date))] += hours
        if next_month <= ctx.params.end:
            invoice = invoice_id(client, next_month)
    cost = hours * tech.cost_on(work_date)
    observed = ctx.observed.client(client.client_id, work_date)
    observed.labour_hours += hours
    observed.labour_cost += cost
    ctx.observed.tech(tech.technician_id, work_date).client_hours += hours
    ctx.emit(
        TimeEntryLogged(
            time_entry_id=f"TE-{ticket_id}-{n}",
            client_id=client.client_id,
            technician_id=tech.technician_id,
            agreement_id=agreement.agreement_id,
            ticket_id=ticket_id,
            work_date=work_date,
            time_start=start,
            time_end=end,
            hours=hours,
            work_type=work_type,
            work_role=tech.role,
            billable_option=option,
            hours_billed=billed,
            hours_deducted=deducted,
            hourly_rate=rate,
            invoice_id=invoice,
        ),
        source=PSA_SOURCE,
        time=end,
    )


def internal_time(ctx: MonthContext) -> None:
    """Admin time on working days, PTO and holidays as absence (charged to the MSP itself)."""
    for tech in ctx.world.technicians:
        rng = stream(ctx.seed, "internal-time", tech.technician_id, ctx.period)
        for day in days_of_month(ctx.first):
            if day.weekday() >= 5:
                continue
            observed = ctx.observed.tech(tech.technician_id, day)
            observed.business_days += 1
            if is_holiday(day) or day in tech.pto_days:
                work_type, hours, absence = ("Holiday" if is_holiday(day) else "PTO"), Decimal("8.00"), True
                observed.absence_hours += hours
            else:
                work_type, hours, absence = "Admin", quarter_hours(rng.uniform(0.5, 1.25)), False
            start = local_to_utc(day, 8 if absence else 16)
            ctx.emit(
                TimeEntryLogged(
                    time_entry_id=f"TE-{tech.technician_id}-{day.isoformat()}",
                    client_id=MSP_COMPANY_ID,
                    technician_id=tech.technician_id,
                    work_date=day,
                    time_start=start,
                    time_end=start + timedelta(hours=float(hours)),
                    hours=hours,
                    work_type=work_type,
                    work_role=tech.role,
                    absence=absence,
                    billable_option="non_billable",
                    hours_billed=Decimal(0),
                ),
                source=PSA_SOURCE,
                time=start + timedelta(hours=float(hours)),
            )


def generate(ctx: MonthContext) -> None:
    master_data(ctx)
    tickets(ctx)
    internal_time(ctx)
