"""The sales pipeline: opportunities moving through stages to a win, a loss, or silence.

Each opportunity's whole life is drawn when it is created (stage dates, outcome, value), so a
month only emits the updates that fall in it; updates after the month wait in the buffer.
Figures from msp-benchmarks §5: win rates of 5-20 % for new logos (we use 25 %, the
opportunity-to-client rate of the channele2e funnel) against 60-70 % with existing clients, new
MRR of $1-5k a deal (many MSPs' minimum is $1-2k), cycles of weeks to months; some deals go quiet
(no update after their last stage, close date passing), which SPO must flag.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.crm import OpportunityUpserted

from msp_sim import names
from msp_sim.context import MonthContext
from msp_sim.rng import cents, lognormal_median, poisson, stream, weighted
from msp_sim.timeline import days_of_month, is_business_day, local_to_utc
from msp_sim.world import Client

CRM_SOURCE = "crm.connectwise"
STAGES = ("identified", "qualified", "assessment", "proposed", "verbal")
STAGE_PROBABILITY = {"identified": 5, "qualified": 15, "assessment": 35, "proposed": 50, "verbal": 80}
LOST_REASONS = ("no_response", "chose_competitor", "price", "timing", "no_budget", "not_a_fit")
LOST_WEIGHTS = (0.25, 0.3, 0.2, 0.1, 0.1, 0.05)
COMPETITORS = ("Lakeshore IT", "Midwest Managed IT", "BrightPath Technology", "in-house hire")
SOURCES = ("Referral", "Website", "Event", "Cold outreach", "Partner")
NEW_LOGO_WIN_RATE = 0.25
EXISTING_CLIENT_WIN_RATE = 0.65
REFERRAL_WIN_RATE = 0.55
"""Win driver: referred new logos close about twice as often as other new logos."""
ERODING_CLIENT_WIN_RATE = 0.35
"""Win driver: an existing client whose margin erodes (planted scope creep or cost rise) buys less."""
STALL_RATE = 0.3
STALLED_WIN_FACTOR = 0.35
"""Win driver: a stalled deal (30-60 days between steps instead of 5-25) keeps a third of its chance."""
WIN_DRIVERS = {
    "referral": f"new logos from a referral win at {REFERRAL_WIN_RATE:.0%} (other new logos "
    f"{NEW_LOGO_WIN_RATE:.0%})",
    "existing_client": f"existing clients win at {EXISTING_CLIENT_WIN_RATE:.0%}, those with an eroding "
    f"margin at {ERODING_CLIENT_WIN_RATE:.0%}",
    "stalled": f"{STALL_RATE:.0%} of deals stall (30-60 days between steps); a stalled deal's win rate is "
    f"multiplied by {STALLED_WIN_FACTOR}",
    "favoured": "referral or existing client with a sound margin, and not stalled",
}


@dataclass(frozen=True, slots=True)
class Deal:
    """What stays fixed over an opportunity's life."""

    opportunity_id: str
    name: str
    client_id: str | None
    prospect_name: str | None
    kind: str
    source: str
    rating: str
    rep: str
    mrr: Decimal
    one_time: Decimal | None
    created: date
    expected_close: date


def generate(ctx: MonthContext) -> None:
    rng = stream(ctx.seed, "opportunities", ctx.period)
    count = poisson(rng, max(2.0, ctx.params.clients * 0.12))
    business_days = [d for d in days_of_month(ctx.first) if is_business_day(d)]
    clients = [c for c in ctx.world.clients if ctx.active(c.client_id, ctx.first)]
    for k in range(1, count + 1):
        created = rng.choice(business_days)
        _opportunity(ctx, stream(ctx.seed, "opportunity", ctx.period, k), k, created, clients)


def _deal(ctx: MonthContext, rng: random.Random, k: int, created: date, client: Client | None) -> Deal:
    opportunity_id = f"OP{ctx.period.replace('-', '')}{k:03d}"
    expected_close = created + timedelta(days=rng.randint(30, 120))
    rating = rng.choice(("hot", "warm", "cold"))
    if client is not None:
        kind = weighted(rng, ("upsell", "cross_sell", "renewal", "project"), (0.35, 0.3, 0.15, 0.2))
        mrr = cents(lognormal_median(rng, 600, 0.6))
        one_time = cents(mrr * Decimal(str(round(rng.uniform(0.4, 1.5), 2)))) if kind == "project" else None
        return Deal(
            opportunity_id,
            f"{client.name} - {kind.replace('_', ' ').title()}",
            client.client_id,
            None,
            kind,
            "Existing client",
            rating,
            client.account_manager_id,
            mrr,
            one_time,
            created,
            expected_close,
        )
    prospect = " ".join(
        (rng.choice(names.COMPANY_FIRST), rng.choice(names.COMPANY_SECOND), rng.choice(names.COMPANY_SUFFIX))
    )
    mrr = cents(max(Decimal(1000), Decimal(str(round(lognormal_median(rng, 2200, 0.5), 2)))))
    one_time = cents(mrr * Decimal(str(round(rng.uniform(0.4, 1.5), 2))))
    rep = ctx.world.account_managers[rng.randrange(len(ctx.world.account_managers))][0]
    return Deal(
        opportunity_id,
        f"{prospect} - Managed Services",
        None,
        prospect,
        "new_business",
        rng.choice(SOURCES),
        rating,
        rep,
        mrr,
        one_time,
        created,
        expected_close,
    )


def _opportunity(ctx: MonthContext, rng: random.Random, k: int, created: date, clients: list[Client]) -> None:
    client = rng.choice(clients) if clients and rng.random() < 0.45 else None
    deal = _deal(ctx, rng, k, created, client)
    referral = deal.source == "Referral"
    eroding = client is not None and (
        client.client_id in ctx.plan.scope_creep or client.client_id in ctx.plan.cost_rises
    )
    stalled = rng.random() < STALL_RATE
    if client is None:
        win_rate = REFERRAL_WIN_RATE if referral else NEW_LOGO_WIN_RATE
    else:
        win_rate = ERODING_CLIENT_WIN_RATE if eroding else EXISTING_CLIENT_WIN_RATE
    if stalled:
        win_rate *= STALLED_WIN_FACTOR
    outcome = "won" if rng.random() < win_rate else ("quiet" if rng.random() < 0.2 else "lost")
    first_stage = 0 if client is None else rng.randint(0, 1)
    final_stage = (3 + int(rng.random() < 0.75)) if outcome == "won" else max(first_stage, rng.randint(0, 3))
    ctx.observed.opportunities.append(
        {
            "opportunity_id": deal.opportunity_id,
            "referral": referral,
            "existing_client": client is not None,
            "eroding_margin": eroding,
            "stalled": stalled,
            "favoured": (referral or (client is not None and not eroding)) and not stalled,
            "win_rate": Decimal(str(round(win_rate, 4))),
            "outcome": outcome,
        }
    )
    lost_reason = weighted(rng, LOST_REASONS, LOST_WEIGHTS)
    lost_to = rng.choice(COMPETITORS) if lost_reason == "chose_competitor" else None
    day = created
    for stage_index in range(first_stage, final_stage + 1):
        stage = STAGES[stage_index]
        at = local_to_utc(day, rng.randint(9, 16), rng.randint(0, 59))
        _emit(ctx, deal, stage, "open", STAGE_PROBABILITY[stage], day, at)
        if stage_index == final_stage and outcome != "quiet":
            close_day = day + timedelta(days=rng.randint(3, 20))
            close_at = local_to_utc(close_day, rng.randint(9, 16), rng.randint(0, 59))
            if outcome == "won":
                _emit(ctx, deal, stage, "won", 100, day, close_at, closed_on=close_day)
            else:
                _emit(
                    ctx,
                    deal,
                    stage,
                    "lost",
                    0,
                    day,
                    close_at,
                    closed_on=close_day,
                    lost=(lost_reason, lost_to),
                )
        day += timedelta(days=rng.randint(30, 60) if stalled else rng.randint(5, 25))


def _emit(
    ctx: MonthContext,
    deal: Deal,
    stage: str,
    status: str,
    probability: int,
    stage_day: date,
    at: datetime,
    *,
    closed_on: date | None = None,
    lost: tuple[str, str | None] | None = None,
) -> None:
    currency = ctx.params.currency
    ctx.emit(
        OpportunityUpserted(
            opportunity_id=deal.opportunity_id,
            name=deal.name,
            client_id=deal.client_id,
            prospect_name=deal.prospect_name,
            stage=stage,
            status=status,
            probability=Decimal(probability),
            expected_close_date=deal.expected_close,
            source=deal.source,
            rating=deal.rating,
            opportunity_type=deal.kind,
            primary_sales_rep=deal.rep,
            estimated_recurring_monthly=Money(amount=deal.mrr, currency=currency),
            recurring_term_months=36 if deal.kind == "new_business" else 12,
            estimated_recurring_monthly_cost=Money(
                amount=cents(deal.mrr * Decimal("0.55")), currency=currency
            ),
            estimated_one_time=Money(amount=deal.one_time, currency=currency)
            if deal.one_time is not None
            else None,
            created_on=deal.created,
            pipeline_change_date=stage_day,
            last_activity_at=at,
            closed_on=closed_on,
            lost_reason=lost[0] if lost else None,
            lost_to=lost[1] if lost else None,
            updated_at=at,
        ),
        source=CRM_SOURCE,
        time=at,
    )
