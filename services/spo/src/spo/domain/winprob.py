"""What the win model sees of an opportunity, and the stage base rates used until it can learn.

Features are the attributes a CRM has (stage reached, source, type, rating, recurring and
one-time value, term, age, days since the last activity, the products quoted: all of them as one
category, and how many) plus the company's industry and size (an existing client's from
``psa.client.upserted``, a prospect's from the CRM, ``crm.opportunity.upserted`` 1.1), and for an
existing client what CPI knows of its margin (gross margin and band,
``client.profitability.changed``) and its churn risk (``client.churn.risk.changed``), each as it
stood when the deal is seen (``domain/signals.py``: the as-of join). They are
text cells, exactly as a CRM export would hold them, so the service and ``msp-spo train`` read
them through one code path and score alike.

A closed deal is seen as it was when it closed (age and silence measured to ``closed_on``), an
open one as it is now (measured to the service clock's day): the model learns from the deal at
the moment its outcome was decided and is asked about deals at the moment they are scored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from spo.domain.opportunities import OpportunityVersion
from spo.domain.signals import ClientSignals

STAGE_BASE_RATES: dict[str, Decimal] = {
    "identified": Decimal("0.05"),
    "qualified": Decimal("0.15"),
    "assessment": Decimal("0.35"),
    "proposed": Decimal("0.50"),
    "verbal": Decimal("0.80"),
}
"""Alga PSA's stage win rates: the fallback until enough deals have closed (settings override)."""
MIN_CLOSED_DEALS = 20
"""Closed (won + lost) deals needed before the learned model replaces the base rates."""
TARGET = "won"
FEATURES = (
    "stage",
    "source",
    "opportunity_type",
    "rating",
    "existing_client",
    "recurring_monthly",
    "one_time",
    "term_months",
    "age_days",
    "days_since_activity",
    "client_margin_pct",
    "client_margin_band",
    "client_churn_probability",
    "client_industry",
    "client_size",
    "products",
    "product_count",
)
METHOD_BASE_RATE = "stage_base_rate"
METHOD_MODEL = "model"


def features(o: OpportunityVersion, signals: ClientSignals | None, today: date) -> dict[str, str]:
    """One row of the model's input, as text cells (empty = missing)."""
    as_of = o.closed_on if o.status != "open" and o.closed_on is not None else today
    s = signals or ClientSignals()
    return {
        "stage": o.stage,
        "source": o.source or "",
        "opportunity_type": o.opportunity_type or "",
        "rating": o.rating or "",
        "existing_client": "yes" if o.client_id else "no",
        "recurring_monthly": _num(
            o.estimated_recurring_monthly.amount if o.estimated_recurring_monthly else None
        ),
        "one_time": _num(o.estimated_one_time.amount if o.estimated_one_time else None),
        "term_months": "" if o.recurring_term_months is None else str(o.recurring_term_months),
        "age_days": "" if o.created_on is None else str(max(0, (as_of - o.created_on).days)),
        "days_since_activity": ""
        if o.last_activity_at is None
        else str(max(0, (as_of - o.last_activity_at.date()).days)),
        "client_margin_pct": _num(s.margin_pct),
        "client_margin_band": s.margin_band or "",
        "client_churn_probability": _num(s.churn_probability),
        "client_industry": s.industry or o.prospect_industry or "",
        "client_size": _int(s.employees if s.employees is not None else o.prospect_employees),
        "products": "" if o.products is None else ";".join(o.products),
        "product_count": "" if o.products is None else str(len(o.products)),
    }


def outcome(o: OpportunityVersion) -> str | None:
    """The training label: yes won, no lost, None still open."""
    return {"won": "yes", "lost": "no"}.get(o.status)


def base_rate(stage: str, rates: dict[str, Decimal] | None = None) -> tuple[Decimal, str]:
    """Probability and why from the stage alone."""
    rate = (rates or STAGE_BASE_RATES).get(stage, Decimal("0.05"))
    why = (
        f"{rate:.0%} win chance (stage base rate): deals at stage {stage} close at this rate; "
        f"fewer than {MIN_CLOSED_DEALS} closed deals to learn from yet."
    )
    return rate, why


def _int(value: int | None) -> str:
    return "" if value is None else str(value)


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")
