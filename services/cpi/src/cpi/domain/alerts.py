"""Margin bands, the change triggers and the drivers behind a ``client.profitability.changed``.

When a closed month is judged (see ``judge``):

* it is never published on its first judgement when nothing can be compared (no earlier month with
  revenue): a first month is not a change;
* on its first judgement it is published when its band differs from the previous month's band
  (a *crossing*) or its margin is more than ``change_points`` away from the mean of the (up to 3)
  previous months that had revenue (the *trailing-mean* trigger);
* once judged, it is published again only when a late fact moves it to another band than the one
  it was last judged in (a *re-judgement*); the same judgement is never published twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from cpi.domain.ledger import ZERO, MonthLines, cents, gross_margin_pct, pct

Band = Literal["strong", "healthy", "thin", "critical"]
Line = Literal[
    "agreement_fee",
    "labour_revenue",
    "product_revenue",
    "licence_revenue",
    "labour_cost",
    "licence_cost",
    "product_cost",
    "other",
]
Trigger = Literal["band_crossed", "trailing_mean", "rejudged"]


@dataclass(frozen=True)
class Policy:
    strong_pct: Decimal = Decimal(60)
    healthy_pct: Decimal = Decimal(40)
    thin_pct: Decimal = Decimal(20)
    target_pct: Decimal = Decimal(60)
    change_points: Decimal = Decimal(10)
    problem_months: int = 2
    max_drivers: int = 5


def band_of(margin_pct: Decimal, policy: Policy) -> Band:
    """>= strong: strong; >= healthy: healthy; >= thin: thin; else critical."""
    if margin_pct >= policy.strong_pct:
        return "strong"
    if margin_pct >= policy.healthy_pct:
        return "healthy"
    if margin_pct >= policy.thin_pct:
        return "thin"
    return "critical"


def trailing_mean(margins: Sequence[Decimal | None]) -> Decimal | None:
    """Mean of the known margins (months without revenue are left out), to 0.01."""
    known = [m for m in margins if m is not None]
    if not known:
        return None
    return pct(sum(known, ZERO) / len(known))


@dataclass(frozen=True)
class Driver:
    line: Line
    change: Decimal
    """Effect on gross profit: positive raised the margin, negative lowered it."""
    detail: str


# (line, attribute, sign): revenue raises profit, cost lowers it; leakage is money at stake.
_LINES: tuple[tuple[Line, str, int, str], ...] = (
    ("agreement_fee", "revenue_fee", 1, "agreement fees"),
    ("labour_revenue", "revenue_labour", 1, "labour billed"),
    ("product_revenue", "revenue_product", 1, "products billed"),
    ("licence_revenue", "revenue_licence", 1, "licences billed"),
    ("other", "revenue_other", 1, "other revenue"),
    ("labour_cost", "cost_labour", -1, "labour cost"),
    ("licence_cost", "cost_licence", -1, "licence cost"),
    ("licence_cost", "cost_addition", -1, "agreement addition cost"),
    ("product_cost", "cost_product", -1, "product cost"),
    ("other", "cost_other", -1, "other direct cost"),
    ("other", "leakage", -1, "licence leakage (unbilled or unused seats)"),
)


def drivers(current: MonthLines, previous: MonthLines | None, limit: int = 5) -> list[Driver]:
    """The lines whose change moved profit most (against an empty month when there is no
    previous one), biggest absolute effect first; ties by line name; unchanged lines left out."""
    before = previous or MonthLines()
    out = []
    for line, attribute, sign, label in _LINES:
        now, then = getattr(current, attribute), getattr(before, attribute)
        effect = cents((now - then) * sign)
        if effect == 0:
            continue
        detail = f"{label} {cents(then)} -> {cents(now)}"
        if attribute == "cost_labour":
            detail += f" ({_hours(before.labour_hours)} h -> {_hours(current.labour_hours)} h)"
        out.append(Driver(line, effect, detail))
    out.sort(key=lambda d: (-abs(d.change), d.line, d.detail))
    return out[:limit]


def _hours(hours: Decimal) -> Decimal:
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Judgement:
    """A closed month's verdict; ``publish`` says whether it is news."""

    month: str
    margin_pct: Decimal
    band: Band
    publish: bool
    trigger: Trigger | None
    previous_margin_pct: Decimal | None
    previous_band: Band | None
    trailing_mean_pct: Decimal | None
    direction: Literal["up", "down"]
    problem_client: bool
    drivers: tuple[Driver, ...]


def judge(
    month: str,
    current: MonthLines,
    history: Sequence[MonthLines | None],
    last_judged_band: str | None,
    policy: Policy,
) -> Judgement | None:
    """Judge ``month`` from its lines and the (up to 3) previous months, most recent first (None =
    no row for that month). None when the month has no revenue (no margin to judge)."""
    margin = gross_margin_pct(current)
    if margin is None:
        return None
    band = band_of(margin, policy)
    previous = history[0] if history else None
    previous_margin = gross_margin_pct(previous) if previous is not None else None
    previous_band = band_of(previous_margin, policy) if previous_margin is not None else None
    mean = trailing_mean([gross_margin_pct(h) if h is not None else None for h in history[:3]])
    trigger: Trigger | None = None
    if last_judged_band is not None:
        trigger = "rejudged" if band != last_judged_band else None
    elif previous_band is not None and band != previous_band:
        trigger = "band_crossed"
    elif mean is not None and abs(margin - mean) > policy.change_points:
        trigger = "trailing_mean"
    reference = previous_margin if previous_margin is not None else mean
    if reference is None:
        reference = policy.target_pct
    problem = margin < policy.thin_pct and previous_margin is not None and previous_margin < policy.thin_pct
    return Judgement(
        month=month,
        margin_pct=margin,
        band=band,
        publish=trigger is not None,
        trigger=trigger,
        previous_margin_pct=previous_margin,
        previous_band=previous_band,
        trailing_mean_pct=mean,
        direction="up" if margin >= reference else "down",
        problem_client=problem,
        drivers=tuple(drivers(current, previous, policy.max_drivers)),
    )


def summary(client_name: str, judgement: Judgement) -> str:
    """One sentence for people."""
    j = judgement
    moved = "rose" if j.direction == "up" else "fell"
    text = f"{client_name}'s gross margin for {j.month} {moved} to {j.margin_pct}% ({j.band})"
    if j.previous_margin_pct is not None:
        text += f" from {j.previous_margin_pct}% ({j.previous_band})"
    if j.trigger == "trailing_mean" and j.trailing_mean_pct is not None:
        text += f", against a 3-month mean of {j.trailing_mean_pct}%"
    if j.trigger == "rejudged":
        text += " after late facts re-opened the month"
    if j.drivers:
        top = j.drivers[0]
        text += f"; biggest driver: {top.detail} ({top.change:+})"
    if j.problem_client:
        text += "; problem client (2 months below 20%)"
    return text + "."
