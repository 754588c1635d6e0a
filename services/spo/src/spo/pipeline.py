"""An open opportunity row as the forecast sees it: SPO's own win probability first, then the
probability entered in the CRM, then the stage base rate."""

from __future__ import annotations

from decimal import Decimal

from spo.domain.forecast import Deal
from spo.domain.winprob import base_rate
from spo.store.tables import Opportunity
from spo.winning import WinConfig

HUNDRED = Decimal(100)


def deal(o: Opportunity, config: WinConfig) -> Deal:
    if o.win_probability is not None:
        p = o.win_probability
    elif o.probability is not None:
        p = o.probability / HUNDRED
    else:
        p = base_rate(o.stage, config.stage_base_rates)[0]
    return Deal(
        opportunity_id=o.opportunity_id,
        probability=p,
        recurring_monthly=o.recurring_monthly_amount or Decimal(0),
        one_time=o.one_time_amount or Decimal(0),
        currency=o.recurring_monthly_currency or o.one_time_currency or "USD",
        expected_close_date=o.expected_close_date,
        last_activity=None if o.last_activity_at is None else o.last_activity_at.date(),
        stage=o.stage,
        furthest_stage=o.furthest_stage,
    )
