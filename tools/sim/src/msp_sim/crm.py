"""The sales pipeline: opportunities moving through stages to a win, a loss, or silence.

Each opportunity's whole life is drawn when it is created (stage dates, outcome, value), so a
month only emits the updates that fall in it; updates after the month wait in the buffer.
Figures from msp-benchmarks §5: win rates of 5-20 % for new logos (we use 25 %, the
opportunity-to-client rate of the channele2e funnel) against 60-70 % with existing clients, new
MRR of $1-5k a deal, cycles of weeks to months; some deals simply go quiet.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.crm import OpportunityUpserted

from msp_sim import names
from msp_sim.context import MonthContext
from msp_sim.rng import cents, lognormal_median, poisson, stream, weighted
from msp_sim.timeline import days_of_month, is_business_day, local_to_utc

CRM_SOURCE = "crm.connectwise"
STAGES = ("identified", "qualified", "assessment", "proposed", "verbal")
STAGE_PROBABILITY = {"identified": 5, "qualified": 15, "assessment": 35, "proposed": 50, "verbal": 80}
LOST_REASONS = ("no_response", "chose_competitor", "price", "timing", "no_budget", "not_a_fit")
LOST_WEIGHTS = (0.25, 0.3, 0.2, 0.1, 0.1, 0.05)
COMPETITORS = ("Lakeshore IT", "Midwest Managed IT", "BrightPath Technology", "in-house hire")
SOURCES = ("Referral", "Website", "Event", "Cold outreach", "Partner", "Existing client")


def generate(ctx: MonthContext) -> None:
    rng = stream(ctx.seed, "opportunities", ctx.period)
    count = poisson(rng, max(2.0, ctx.params.clients * 0.12))
    business_days = [d for d in days_of_month(ctx.first) if is_business_day(d)]
    clients = [c for c in ctx.world.clients if ctx.active(c.client_id, ctx.first)]
    for k in range(1, count + 1):
        _opportunity(ctx, stream(ctx.seed, "opportunity", ctx.period, k), k, rng.choice(business_days), clients)


def _opportunity(ctx: MonthContext, rng: random.Random, k: int, created: date, clients: list[object]) -> None:
    from msp_sim.world import Client

    existing = bool(clients) and rng.random() < 0.45
    client = rng.choice(clients) if existing else None
    assert client is None or isinstance(client, Client)
    currency = ctx.params.currency
    if client is not None:
        kind = weighted(rng, ("upsell", "cross_sell", "renewal", "project"), (0.35, 0.3, 0.15, 0.2))
        name = f"{client.name} - {kind.replace('_', ' ').title()}"
        mrr = cents(lognormal_median(rng, 600, 0.6))
        win_rate = 0.65
        rep = client.account_manager_id
    else:
        kind = "new_business"
        prospect = f"{rng.choice(names.COMPANY_FIRST)} {rng.choice(names.COMPANY_SECOND)} {rng.choice(names.COMPANY_SUFFIX)}"
        name = f"{prospect} - Managed Services"
        mrr = cents(max(Decimal(1000), Decimal(str(round(lognormal_median(rng, 2200, 0.5), 2)))))
        win_rate = 0.25
        rep = ctx.world.account_managers[rng.randrange(len(ctx.world.account_managers))][0]
    one_time = cents(mrr * Decimal(str(round(rng.uniform(0.4, 1.5), 2)))) if kind in ("new_business", "project") else None
    outcome = "won" if rng.random() < win_rate else ("quiet" if rng.random() < 0.2 else "lost")
    final_stage = 4 if outcome == "won" else rng.randint(0, 3)
    first_stage = 0 if client is None else rng.randint(0, 1)
    final_stage = max(final_stage, first_stage)
    expected_close = created + timedelta(days=rng.randint(30, 120))
    opp_id = f"OP{ctx.period.replace('-', '')}{k:03d}"
    day = created
    lost_reason = weighted(rng, LOST_REASONS, LOST_WEIGHTS)
    lost_to = rng.choice(COMPETITORS) if lost_reason == "chose_competitor" else None
    source = "Existing client" if client is not None else rng.choice(SOURCES[:-1])
    rating = rng.choice(("hot", "warm", "cold"))
    for stage_index in range(first_stage, final_stage + 1):
        stage = STAGES[stage_index]
        at = local_to_utc(day, rng.randint(9, 16), rng.randint(0, 59))
        closing = stage_index == final_stage and outcome != "quiet"
        _emit(ctx, opp_id, name, client.client_id if client else None, None if client else name.rsplit(" - ", 1)[0],
              stage, "open", STAGE_PROBABILITY[stage], expected_close, source, rating, kind, rep, mrr, one_time,
              created, day, at, None, None, None, currency)
        if closing:
            close_day = day + timedelta(days=rng.randint(3, 20))
            close_at = local_to_utc(close_day, rng.randint(9, 16), rng.randint(0, 59))
            won = outcome == "won"
            _emit(ctx, opp_id, name, client.client_id if client else None, None if client else name.rsplit(" - ", 1)[0],
                  stage, "won" if won else "lost", 100 if won else 0, expected_close, source, rating, kind, rep, mrr,
                  one_time, created, day, close_at, close_day, None if won else lost_reason, None if won else lost_to,
                  currency)
        day += timedelta(days=rng.randint(5, 25))


def _emit(
    ctx: MonthContext,
    opp_id: str,
    name: str,
    client_id: str | None,
    prospect: str | None,
    stage: str,
    status: str,
    probability: int,
    expected_close: date,
    source: str,
    rating: str,
    kind: str,
    rep: str,
    mrr: Decimal,
    one_time: Decimal | None,
    created: date,
    stage_day: date,
    at: object,
    closed_on: date | None,
    lost_reason: str | None,
    lost_to: str | None,
    currency: str,
) -> None:
    from datetime import datetime

    assert isinstance(at, datetime)
    ctx.emit(
        OpportunityUpserted(
            opportunity_id=opp_id,
            name=name,
            client_id=client_id,
            prospect_name=prospect,
            stage=stage,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            probability=Decimal(probability),
            expected_close_date=expected_close,
            source=source,
            rating=rating,  # type: ignore[arg-type]
            opportunity_type=kind,  # type: ignore[arg-type]
            primary_sales_rep=rep,
            estimated_recurring_monthly=Money(amount=mrr, currency=currency),
            recurring_term_months=36 if kind == "new_business" else 12,
            estimated_recurring_monthly_cost=Money(amount=cents(mrr * Decimal("0.55")), currency=currency),
            estimated_one_time=Money(amount=one_time, currency=currency) if one_time is not None else None,
            created_on=created,
            pipeline_change_date=stage_day,
            last_activity_at=at,
            closed_on=closed_on,
            lost_reason=lost_reason,  # type: ignore[arg-type]
            lost_to=lost_to,
            updated_at=at,
        ),
        source=CRM_SOURCE,
        time=at,
    )
