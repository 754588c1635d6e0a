"""Opportunities found in delivery data: the five rules, as pure functions of what SPO knows.

Each rule returns ``Candidate``s: a client, a reason (kind plus what it is about: an agreement,
a service category, a SKU), an estimate, an ``act_by`` date and one sentence. ``reconcile``
turns candidates into suggestion changes: one open suggestion per client and reason, opened the
first day its candidate appears, closed ``acted_on`` when its candidate is gone before ``act_by``
(renewed, converted, bought, trued up, repriced) and ``expired`` once ``act_by`` has passed. The
id derives from client, reason and the day it opened, so a replay finds the same ids.

Rules (parameters in ``Rules``, from SPO's settings):

1. *renewal*: an agreement (not cancelled) ends within 120 days; act by its notice deadline.
2. *tm_conversion*: a client without a managed agreement spent at least ``tm_min_monthly`` a
   month on T&M labour over the last 3 months, and a managed fee of that spend less
   ``managed_discount_pct`` is cheaper for them while, with the hours a managed client needs
   (``managed_hours_factor`` of T&M hours, proactive work prevents tickets) at
   ``loaded_hourly_cost``, it earns the MSP a higher margin than the T&M work does.
3. *whitespace*: a service category (agreement type or catalog product) that at least
   ``whitespace_share`` of the client's peers (same industry and size band, at least
   ``whitespace_min_peers`` of them) buy and the client does not; estimate = the peers' median
   monthly price for it.
4. *licence_true_up*: SLI reports unbilled seats (``license.compliance.violation``,
   ``unbilled_seats``, open); estimate = its monthly exposure; act by the commitment end.
5. *price_increase*: CPI reports a margin below the target (or in the thin/critical band) after
   a drop; estimate = the monthly revenue that restores the target at today's cost.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

SUGGESTION_NAMESPACE = uuid.UUID("6b1d5f0e-2b7a-4c38-9a55-3f0d2b9c7e11")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
SIZE_BANDS = ((1, 19, "1-19"), (20, 49, "20-49"), (50, 99, "50-99"), (100, 249, "100-249"))
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}
KIND_WIN_RATE = {
    "renewal": Decimal(80),
    "tm_conversion": Decimal(35),
    "whitespace": Decimal(20),
    "licence_true_up": Decimal(70),
    "price_increase": Decimal(50),
}
"""Win probability published with a suggestion, percent, by kind: a prior, not the model (a
suggestion is not yet a CRM deal); documented in the README."""


@dataclass(frozen=True)
class Rules:
    renewal_days: int = 120
    tm_months: int = 3
    tm_min_monthly: Decimal = Decimal(1500)
    managed_discount_pct: Decimal = Decimal(10)
    managed_hours_factor: Decimal = Decimal("0.8")
    loaded_hourly_cost: Decimal = Decimal(55)
    whitespace_share: Decimal = Decimal("0.6")
    whitespace_min_peers: int = 5
    act_within_days: int = 30
    margin_drop_bands: frozenset[str] = frozenset({"thin", "critical"})


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    client_id: str
    agreement_type: str
    end_date: date | None
    notice_period_days: int | None
    monthly_fee: Decimal
    currency: str
    cancelled: bool
    products: tuple[tuple[str, Decimal], ...] = ()
    """(product_id, monthly price) of its billable additions"""


@dataclass(frozen=True)
class Client:
    client_id: str
    industry: str | None
    employee_count: int | None
    active: bool


@dataclass(frozen=True)
class TmMonth:
    client_id: str
    month: str
    hours: Decimal
    billed: Decimal
    currency: str


@dataclass(frozen=True)
class Violation:
    violation_id: str
    client_id: str
    sku_id: str
    seats: int
    monthly_exposure: Decimal
    currency: str
    commitment_end_date: date | None
    open: bool


@dataclass(frozen=True)
class Margin:
    client_id: str
    period: str
    margin_pct: Decimal
    target_pct: Decimal | None
    band: str
    direction: str
    revenue: Decimal
    cost: Decimal
    currency: str


@dataclass(frozen=True)
class Candidate:
    client_id: str
    kind: str
    reason: str
    """what it is about, within the kind (one open suggestion per client + kind + reason)"""
    title: str
    recurring_monthly: Decimal | None
    one_time: Decimal | None
    currency: str
    act_by: date
    summary: str
    agreement_id: str | None = None
    sku_id: str | None = None
    seats: int | None = None


@dataclass
class Facts:
    clients: dict[str, Client] = field(default_factory=dict)
    agreements: list[Agreement] = field(default_factory=list)
    tm: list[TmMonth] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    margins: list[Margin] = field(default_factory=list)


def _money(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def renewals(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    out = []
    for a in facts.agreements:
        if (
            a.cancelled
            or a.end_date is None
            or not today <= a.end_date <= today + timedelta(rules.renewal_days)
        ):
            continue
        deadline = a.end_date - timedelta(days=a.notice_period_days or 0)
        act_by = max(today, deadline)
        days = (a.end_date - today).days
        out.append(
            Candidate(
                a.client_id, "renewal", a.agreement_id, f"Renew agreement {a.agreement_id}",
                _money(a.monthly_fee), None, a.currency, act_by,
                f"Agreement {a.agreement_id} ends on {a.end_date} ({days} days); "
                f"agree the renewal by {act_by}.",
                agreement_id=a.agreement_id,
            )
        )  # fmt: skip
    return out


def previous_months(today: date, count: int) -> list[str]:
    """The ``count`` full months before ``today``'s month."""
    out, year, month = [], today.year, today.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(f"{year:04d}-{month:02d}")
    return out


def tm_conversions(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    window = set(previous_months(today, rules.tm_months))
    managed = {
        a.client_id for a in facts.agreements if a.agreement_type == "managed_services" and not a.cancelled
    }
    hours: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for m in facts.tm:
        if m.month in window and m.client_id not in managed:
            hours[(m.client_id, m.currency)] += m.hours
            billed[(m.client_id, m.currency)] += m.billed
    out = []
    for (client_id, currency), spend in sorted(billed.items()):
        monthly_spend = spend / rules.tm_months
        if monthly_spend < rules.tm_min_monthly:
            continue
        monthly_hours = hours[(client_id, currency)] / rules.tm_months
        fee = monthly_spend * (1 - rules.managed_discount_pct / HUNDRED)
        tm_margin = (monthly_spend - monthly_hours * rules.loaded_hourly_cost) / monthly_spend
        managed_cost = monthly_hours * rules.managed_hours_factor * rules.loaded_hourly_cost
        managed_margin = (fee - managed_cost) / fee
        if managed_margin <= tm_margin:
            continue
        out.append(
            Candidate(
                client_id, "tm_conversion", "managed_services", "Convert T&M to a managed agreement",
                _money(fee), None, currency, today + timedelta(rules.act_within_days),
                f"{_money(monthly_spend)} {currency} a month of T&M over {rules.tm_months} months would be "
                f"{_money(fee)} {currency} managed ({rules.managed_discount_pct}% less for them) at a margin "
                f"of {managed_margin:.0%} instead of {tm_margin:.0%}.",
            )
        )  # fmt: skip
    return out


def size_band(employees: int | None) -> str | None:
    if employees is None:
        return None
    for low, high, name in SIZE_BANDS:
        if low <= employees <= high:
            return name
    return "250+" if employees >= 250 else None


def whitespace(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    bought: dict[str, dict[str, Decimal]] = defaultdict(dict)
    currency_of: dict[str, str] = {}
    for a in facts.agreements:
        if a.cancelled or (a.end_date is not None and a.end_date < today):
            continue
        currency_of.setdefault(a.client_id, a.currency)
        items = [(a.agreement_type, a.monthly_fee), *a.products]
        for category, price in items:
            bought[a.client_id][category] = bought[a.client_id].get(category, Decimal(0)) + price
    peers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in facts.clients.values():
        band = size_band(c.employee_count)
        if c.active and c.industry and band and c.client_id in bought:
            peers[(c.industry, band)].append(c.client_id)
    out = []
    for (industry, band), members in sorted(peers.items()):
        if len(members) < rules.whitespace_min_peers + 1:
            continue
        for client_id in sorted(members):
            others = [m for m in members if m != client_id]
            categories = sorted({cat for m in others for cat in bought[m]})
            for category in categories:
                if category in bought[client_id]:
                    continue
                buyers = [m for m in others if category in bought[m]]
                share = Decimal(len(buyers)) / Decimal(len(others))
                if share < rules.whitespace_share:
                    continue
                prices = sorted(bought[m][category] for m in buyers)
                median = (
                    prices[len(prices) // 2]
                    if len(prices) % 2
                    else ((prices[len(prices) // 2 - 1] + prices[len(prices) // 2]) / 2)
                )
                out.append(
                    Candidate(
                        client_id, "whitespace", category, f"Offer {category}", _money(median), None,
                        currency_of.get(client_id, "USD"), today + timedelta(rules.act_within_days),
                        f"{len(buyers)} of {len(others)} {industry} clients of {band} employees buy "
                        f"{category}; this client does not (peers pay a median {_money(median)} a month).",
                    )
                )  # fmt: skip
    return out


def licence_true_ups(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    out = []
    for v in facts.violations:
        if not v.open:
            continue
        act_by = (
            v.commitment_end_date
            if v.commitment_end_date and v.commitment_end_date >= today
            else (today + timedelta(rules.act_within_days))
        )
        out.append(
            Candidate(
                v.client_id, "licence_true_up", v.sku_id, f"True up {v.seats} seats of {v.sku_id}",
                _money(v.monthly_exposure), None, v.currency, act_by,
                f"SLI finds {v.seats} seats of {v.sku_id} in use but not billed "
                f"({_money(v.monthly_exposure)} {v.currency} a month).",
                sku_id=v.sku_id,
                seats=v.seats,
            )
        )  # fmt: skip
    return out


def repricing(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    latest: dict[str, Margin] = {}
    for m in facts.margins:
        if m.client_id not in latest or m.period > latest[m.client_id].period:
            latest[m.client_id] = m
    out = []
    for client_id, m in sorted(latest.items()):
        target = m.target_pct
        below = m.margin_pct < target if target is not None else m.band in rules.margin_drop_bands
        if m.direction != "down" or not below or m.revenue <= 0:
            continue
        goal = target if target is not None else Decimal(40)
        needed = m.cost / (1 - goal / HUNDRED) - m.revenue
        if needed <= 0:
            continue
        out.append(
            Candidate(
                client_id, "price_increase", "margin", "Reprice the agreement", _money(needed), None,
                m.currency, today + timedelta(rules.act_within_days),
                f"Margin fell to {m.margin_pct:.1f}% in {m.period} (target {goal:.0f}%); "
                f"{_money(needed)} {m.currency} more a month restores it at today's cost.",
            )
        )  # fmt: skip
    return out


RULES = (renewals, tm_conversions, whitespace, licence_true_ups, repricing)


def candidates(facts: Facts, today: date, rules: Rules) -> list[Candidate]:
    found = [c for rule in RULES for c in rule(facts, today, rules)]
    return sorted(found, key=lambda c: (c.client_id, c.kind, c.reason))


@dataclass(frozen=True)
class Open:
    suggestion_id: str
    client_id: str
    kind: str
    reason: str
    act_by: date


@dataclass(frozen=True)
class Changes:
    opened: list[tuple[str, Candidate]]
    closed: list[tuple[str, str]]
    """(suggestion_id, acted_on | expired)"""
    released: list[tuple[str, str, str]]
    """expired keys whose finding is gone: a new one may be suggested when it comes back"""


def suggestion_id(client_id: str, kind: str, reason: str, opened_on: date) -> str:
    return str(uuid.uuid5(SUGGESTION_NAMESPACE, f"{client_id}|{kind}|{reason}|{opened_on.isoformat()}"))


def reconcile(
    found: list[Candidate], open_now: list[Open], expired: set[tuple[str, str, str]], today: date
) -> Changes:
    """Open what is new, close what was acted on or expired; an open suggestion is never doubled,
    and one that expired is not suggested again while its finding lasts (nobody acted: asking
    again every day is noise)."""
    by_key = {(o.client_id, o.kind, o.reason): o for o in open_now}
    current = {(c.client_id, c.kind, c.reason): c for c in found}
    closed = []
    for key, o in sorted(by_key.items()):
        if today > o.act_by:
            closed.append((o.suggestion_id, "expired"))
        elif key not in current:
            closed.append((o.suggestion_id, "acted_on"))
    opened = [
        (suggestion_id(c.client_id, c.kind, c.reason, today), c)
        for key, c in sorted(current.items())
        if key not in by_key and key not in expired
    ]
    released = sorted(k for k in expired if k not in current)
    return Changes(opened, closed, released)
