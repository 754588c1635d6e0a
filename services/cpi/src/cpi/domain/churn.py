"""Churn risk, the pure part: facts as known at a time, per-client monthly signals, features at a
month end, outcome labels, the weighted health score and risk bands.

Leakage rule: the features of month M are built only from facts known before the first instant of
month M+1 (the *cutoff*). Tickets count in the month they opened, an SLA breach or CSAT rating in
the month it became known, a payment in the month it was received, an agreement by the latest
version known at the cutoff. Adding facts that became known after the cutoff never changes them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

Band = Literal["low", "medium", "high"]
Method = Literal["health_score", "model"]

FEATURES: tuple[str, ...] = (
    "ticket_trend",
    "sla_breach_rate",
    "csat_negative_rate",
    "days_late",
    "margin_trend",
    "tenure_months",
    "months_to_end",
    "notice_given",
)
"""Feature names in their fixed order (the model's column order)."""

EVERGREEN_MONTHS = 24.0
"""``months_to_end`` of a client with no ending agreement (and the cap for long terms)."""
WARM_UP_MONTHS = 2
"""Training rows start this many months after the first month CPI holds signals for."""
CSAT_PRIOR_NEGATIVE = 0.08
CSAT_PRIOR_WEIGHT = 5.0


# -- facts --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketFact:
    client_id: str
    opened_at: datetime
    breached_at: datetime | None = None
    csat_rating: str | None = None
    csat_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceFact:
    invoice_id: str
    client_id: str
    due_date: date
    total: Decimal
    payments: tuple[tuple[date, Decimal], ...] = ()
    """(received_on, amount) of every payment applied to the invoice."""


@dataclass(frozen=True)
class AgreementFact:
    """One version of an agreement's term, with the time it became known."""

    agreement_id: str
    client_id: str
    known_at: datetime
    start_date: date
    end_date: date | None = None
    auto_renew: bool | None = None
    cancelled: bool = False
    cancelled_date: date | None = None
    digest: str = ""


@dataclass(frozen=True)
class ClientFact:
    client_id: str
    created_on: date
    status: str = "active"
    churned_on: date | None = None


@dataclass(frozen=True)
class MarginFact:
    client_id: str
    month: date
    """First day of the month."""
    margin_pct: Decimal


@dataclass(frozen=True)
class History:
    clients: Sequence[ClientFact] = ()
    tickets: Sequence[TicketFact] = ()
    invoices: Sequence[InvoiceFact] = ()
    agreements: Sequence[AgreementFact] = ()
    margins: Sequence[MarginFact] = ()


# -- months -------------------------------------------------------------------------------------
def month_start(d: date | datetime) -> date:
    return date(d.year, d.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(a: date, b: date) -> int:
    """Whole calendar months from the month of ``a`` to the month of ``b``."""
    return (b.year - a.year) * 12 + b.month - a.month


def cutoff_of(month: date) -> datetime:
    """First instant after month ``month``: facts known before it describe the month."""
    nxt = add_months(month, 1)
    return datetime(nxt.year, nxt.month, 1, tzinfo=UTC)


# -- the monthly signal table -------------------------------------------------------------------
@dataclass
class MonthSignals:
    tickets_opened: int = 0
    sla_breaches: int = 0
    csat_responses: int = 0
    csat_negative: int = 0
    payments: int = 0
    days_late_sum: int = 0


@dataclass
class ClientHistory:
    client: ClientFact
    months: dict[date, MonthSignals] = field(default_factory=dict)
    invoices: list[InvoiceFact] = field(default_factory=list)
    agreements: list[AgreementFact] = field(default_factory=list)
    margins: dict[date, Decimal] = field(default_factory=dict)

    def month(self, m: date) -> MonthSignals:
        return self.months.get(m) or MonthSignals()


def signal_table(history: History) -> dict[str, ClientHistory]:
    """Per client, the monthly signals, each fact in the month it became known."""
    out = {c.client_id: ClientHistory(c) for c in history.clients}

    def bucket(client_id: str, when: date | datetime) -> MonthSignals | None:
        ch = out.get(client_id)
        return None if ch is None else ch.months.setdefault(month_start(when), MonthSignals())

    for t in history.tickets:
        if (row := bucket(t.client_id, t.opened_at)) is not None:
            row.tickets_opened += 1
        if t.breached_at is not None and (row := bucket(t.client_id, t.breached_at)) is not None:
            row.sla_breaches += 1
        if t.csat_rating is not None and t.csat_at is not None and (row := bucket(t.client_id, t.csat_at)):
            row.csat_responses += 1
            row.csat_negative += t.csat_rating == "negative"
    for inv in history.invoices:
        if (ch := out.get(inv.client_id)) is None:
            continue
        ch.invoices.append(inv)
        for received_on, _ in inv.payments:
            row = ch.months.setdefault(month_start(received_on), MonthSignals())
            row.payments += 1
            row.days_late_sum += max(0, (received_on - inv.due_date).days)
    for a in history.agreements:
        if (ch := out.get(a.client_id)) is not None:
            ch.agreements.append(a)
    for m in history.margins:
        if (ch := out.get(m.client_id)) is not None:
            ch.margins[month_start(m.month)] = m.margin_pct
    return out


# -- features -----------------------------------------------------------------------------------
def _agreements_at(agreements: Iterable[AgreementFact], cutoff: datetime) -> list[AgreementFact]:
    """The latest version of each agreement known before ``cutoff``."""
    latest: dict[str, AgreementFact] = {}
    for a in agreements:
        if a.known_at >= cutoff:
            continue
        cur = latest.get(a.agreement_id)
        if cur is None or (a.known_at, a.digest) > (cur.known_at, cur.digest):
            latest[a.agreement_id] = a
    return [latest[k] for k in sorted(latest)]


def _months_until(day: date, end: date) -> float:
    return max(0.0, (end - day).days / 30.4375)


def features_at(ch: ClientHistory, month: date) -> dict[str, float]:
    """The client's features at the end of ``month``, from facts known before its cutoff."""
    cutoff = cutoff_of(month)
    day = cutoff.date()  # first day after the month
    first = month_start(ch.client.created_on)
    recent = [add_months(month, -i) for i in range(3)]
    baseline = [add_months(month, -i) for i in range(3, 9) if add_months(month, -i) >= first]

    tickets_recent = sum(ch.month(m).tickets_opened for m in recent)
    trend = 0.0
    if baseline:
        base = sum(ch.month(m).tickets_opened for m in baseline) / len(baseline)
        trend = math.log((tickets_recent / 3 + 1) / (base + 1))
    breaches = sum(ch.month(m).sla_breaches for m in recent)
    breach_rate = breaches / max(tickets_recent, 1)

    csat_months = [add_months(month, -i) for i in range(6)]
    responses = sum(ch.month(m).csat_responses for m in csat_months)
    negative = sum(ch.month(m).csat_negative for m in csat_months)
    csat_rate = (negative + CSAT_PRIOR_NEGATIVE * CSAT_PRIOR_WEIGHT) / (responses + CSAT_PRIOR_WEIGHT)

    # days late: payments received in the last 3 months, plus invoices still overdue at the cutoff
    late_sum = sum(ch.month(m).days_late_sum for m in recent)
    late_n = sum(ch.month(m).payments for m in recent)
    for inv in ch.invoices:
        if inv.due_date >= day:
            continue
        paid = sum((amount for received, amount in inv.payments if received < day), Decimal(0))
        if paid < inv.total:
            late_sum += (day - inv.due_date).days
            late_n += 1
    days_late = late_sum / late_n if late_n else 0.0

    last3 = [ch.margins[m] for m in recent if m in ch.margins]
    prev3 = [ch.margins[add_months(month, -i)] for i in range(3, 6) if add_months(month, -i) in ch.margins]
    margin_trend = 0.0
    if last3 and prev3:
        margin_trend = float(sum(last3, Decimal(0)) / len(last3) - sum(prev3, Decimal(0)) / len(prev3))

    tenure = float(max(0, months_between(ch.client.created_on, day)))

    months_to_end, notice = EVERGREEN_MONTHS, 0.0
    for a in _agreements_at(ch.agreements, cutoff):
        if a.start_date >= day or (a.cancelled and (a.cancelled_date is None or a.cancelled_date < day)):
            continue
        if a.end_date is None:
            continue
        if a.auto_renew is False:
            if a.end_date >= day:
                notice = 1.0
                months_to_end = min(months_to_end, _months_until(day, a.end_date))
            continue
        end = a.end_date
        while end < day:  # an auto-renewing term rolls over by a year until it is in the future
            end = date(end.year + 1, end.month, min(end.day, 28))
        months_to_end = min(months_to_end, _months_until(day, end))

    return {
        "ticket_trend": round(trend, 6),
        "sla_breach_rate": round(breach_rate, 6),
        "csat_negative_rate": round(csat_rate, 6),
        "days_late": round(days_late, 6),
        "margin_trend": round(margin_trend, 6),
        "tenure_months": tenure,
        "months_to_end": round(min(months_to_end, EVERGREEN_MONTHS), 6),
        "notice_given": notice,
        "csat_responses": float(responses),
        "margin_known": float(bool(last3 and prev3)),
    }


# -- outcomes -----------------------------------------------------------------------------------
def churn_date(ch: ClientHistory) -> date | None:
    """When the client left: its churn date, else the day its last agreement was cancelled or ended
    without renewal (all of its agreements, latest versions). None while it is still a client."""
    if ch.client.churned_on is not None:
        return ch.client.churned_on
    latest = _agreements_at(ch.agreements, datetime.max.replace(tzinfo=UTC))
    if not latest:
        return None
    ends: list[date] = []
    for a in latest:
        if a.cancelled and a.cancelled_date is not None:
            ends.append(a.cancelled_date)
        elif a.auto_renew is False and a.end_date is not None:
            ends.append(a.end_date)
        else:
            return None
    return max(ends)


def is_active_at(ch: ClientHistory, day: date, churned: date | None) -> bool:
    return ch.client.created_on < day and (churned is None or churned >= day)


@dataclass(frozen=True)
class TrainingRow:
    client_id: str
    month: date
    features: tuple[float, ...]
    churned: bool


def training_rows(table: Mapping[str, ClientHistory], today: date, horizon_months: int) -> list[TrainingRow]:
    """One row per active client per month end whose outcome window has passed by ``today``.

    Label: the client left within ``horizon_months`` after the month end. Months before the history
    CPI holds (plus ``WARM_UP_MONTHS`` to fill the 3-month windows) are not rows: a client created
    years before the first ticket CPI saw would otherwise look perfectly quiet. Rows are ordered by
    (month, client) so the training set, and its digest, are the same on every replica.
    """
    rows: list[TrainingRow] = []
    known = [m for ch in table.values() for m in ch.months]
    if not known:
        return rows
    start = add_months(min(known), WARM_UP_MONTHS)
    for client_id in sorted(table):
        ch = table[client_id]
        left = churn_date(ch)
        month = max(month_start(ch.client.created_on), start)
        while add_months(month, 1 + horizon_months) <= today:
            day = add_months(month, 1)
            if is_active_at(ch, day, left) and months_between(ch.client.created_on, day) >= 1:
                feats = features_at(ch, month)
                label = left is not None and day <= left < add_months(day, horizon_months)
                rows.append(TrainingRow(client_id, month, tuple(feats[f] for f in FEATURES), label))
            month = add_months(month, 1)
    rows.sort(key=lambda r: (r.month, r.client_id))
    return rows


# -- health score -------------------------------------------------------------------------------
HEALTH_WEIGHTS: dict[str, int] = {
    "sla_breach_rate": 25,
    "csat_negative_rate": 20,
    "days_late": 20,
    "ticket_trend": 15,
    "months_to_end": 15,
    "margin_trend": 5,
}
"""Weights of the stand-in health score (sum 100), in the spirit of Breadbox's weighted signals."""


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def health_components(f: Mapping[str, float]) -> dict[str, float]:
    """Each signal's health from 0 (bad) to 100 (good); CSAT without responses and margin without
    ledger months are unknown, and an unknown signal is neutral 50 (as Breadbox does)."""
    csat_known = f.get("csat_responses", 1.0) > 0
    margin_known = f.get("margin_known", 1.0) > 0
    renewal = (
        0.0
        if f["notice_given"]
        else 50.0
        if f["months_to_end"] <= 3
        else 75.0
        if f["months_to_end"] <= 6
        else 100.0
    )
    return {
        "sla_breach_rate": 100 * (1 - _clamp((f["sla_breach_rate"] - 0.05) / 0.30)),
        "csat_negative_rate": 100 * (1 - _clamp((f["csat_negative_rate"] - 0.08) / 0.40))
        if csat_known
        else 50.0,
        "days_late": 100 * (1 - _clamp(f["days_late"] / 45)),
        "ticket_trend": 100 * (1 - _clamp(math.exp(f["ticket_trend"]) - 1)),
        "months_to_end": renewal,
        "margin_trend": 100 * _clamp((f["margin_trend"] + 20) / 40) if margin_known else 50.0,
    }


def health_score(f: Mapping[str, float]) -> float:
    """0 (about to leave) to 100 (healthy): the weighted sum of the components."""
    parts = health_components(f)
    return sum(HEALTH_WEIGHTS[k] * parts[k] for k in HEALTH_WEIGHTS) / 100


def health_signals(f: Mapping[str, float], top: int = 3) -> list[tuple[str, float, float]]:
    """(signal, value, points lost), the largest losses first, only signals that lost points."""
    parts = health_components(f)
    lost = [(k, f[k], HEALTH_WEIGHTS[k] * (100 - parts[k]) / 100) for k in HEALTH_WEIGHTS]
    lost = [x for x in lost if x[2] > 1e-9]
    lost.sort(key=lambda x: (-x[2], x[0]))
    return [(k, v, round(p, 4)) for k, v, p in lost[:top]]


# -- bands --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BandCutoffs:
    model_high: float = 0.25
    model_medium: float = 0.08
    health_high_below: float = 40.0
    health_medium_below: float = 70.0


def band_of(probability: float, method: Method, cutoffs: BandCutoffs = BandCutoffs()) -> Band:
    """Model: by probability. Health score: by health = 100 * (1 - probability) (RED/YELLOW/GREEN)."""
    if method == "model":
        return (
            "high"
            if probability >= cutoffs.model_high
            else "medium"
            if probability >= cutoffs.model_medium
            else "low"
        )
    health = 100 * (1 - probability)
    return (
        "high"
        if health < cutoffs.health_high_below
        else "medium"
        if health < cutoffs.health_medium_below
        else "low"
    )


def band_to_publish(new: Band, published: Band | None) -> Band | None:
    """The band to publish, or None: only on a change; a first band of 'low' is not news."""
    if new == (published or "low"):
        return None
    return new


# -- the stored model ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LogisticModel:
    """A standardised logistic regression with a sigmoid (Platt) calibration of its decision value."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    calib_a: float
    calib_b: float

    def contributions(self, f: Mapping[str, float]) -> list[float]:
        return [
            c * (f[n] - m) / s
            for n, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        ]

    def probability(self, f: Mapping[str, float]) -> float:
        decision = self.intercept + sum(self.contributions(f))
        z = self.calib_a * decision + self.calib_b
        return 1 / (1 + math.exp(z)) if z > -700 else 1.0

    def top_signals(self, f: Mapping[str, float], top: int = 3) -> list[tuple[str, float, float]]:
        """(signal, value, log-odds contribution), the largest positive contributions first."""
        parts = [(n, f[n], c) for n, c in zip(self.features, self.contributions(f), strict=True) if c > 1e-9]
        parts.sort(key=lambda x: (-x[2], x[0]))
        return [(n, v, round(c, 4)) for n, v, c in parts[:top]]

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "calibration": {"method": "sigmoid", "a": self.calib_a, "b": self.calib_b},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LogisticModel:
        calib = data["calibration"]
        assert isinstance(calib, dict)

        def floats(key: str) -> tuple[float, ...]:
            values = data[key]
            assert isinstance(values, list)
            return tuple(float(v) for v in values)

        return cls(
            features=tuple(str(v) for v in data["features"]) if isinstance(data["features"], list) else (),
            mean=floats("mean"),
            scale=floats("scale"),
            coef=floats("coef"),
            intercept=float(str(data["intercept"])),
            calib_a=float(calib["a"]),
            calib_b=float(calib["b"]),
        )
