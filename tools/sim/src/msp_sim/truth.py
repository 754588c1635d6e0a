"""The ground truth of a run: every planted problem, precisely, for agents' detection tests.

Written next to the log as ``FILE.truth.json``. Each entry gives ids, dates, the hidden mechanism
and its magnitude as planned, plus what the generated events actually show (``observed`` series
computed from the very events written), so a test can compare an agent's finding with both. The
format is documented in ``tools/sim/README.md``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MonthObservation(_Model):
    """One client's month as the events show it (service periods by work/invoice month)."""

    period: str = Field(description="YYYY-MM")
    tickets_opened: int
    sla_breaches: int
    csat_responses: int
    csat_negative: int
    labour_hours: Decimal = Field(description="hours of client time entries worked in the month")
    labour_cost: Decimal = Field(description="sum of hours x the technician's cost rate on the work date")
    invoiced: Decimal = Field(description="invoice lines (ex tax) dated in the month")
    mean_days_to_pay: Decimal | None = Field(
        description="mean days from invoice date to payment, paid invoices"
    )


class MarginErosion(_Model):
    client_id: str
    agreement_id: str
    mechanism: Literal["scope_creep", "cost_rate_rise"]
    starts_on: date = Field(description="first day the mechanism acts")
    ticket_volume_multiplier_at_end: Decimal | None = Field(
        description="scope creep: planned ticket volume at the end of the run relative to before "
        "(linear ramp)"
    )
    technician_id: str | None = Field(description="cost rate rise: the client's primary technician")
    old_hourly_cost: Decimal | None
    new_hourly_cost: Decimal | None
    fee_repriced: bool = Field(description="always false: the fixed fee was not raised to match")
    observed: list[MonthObservation]


class Churn(_Model):
    client_id: str
    agreement_id: str
    mechanism: Literal["non_renewal", "termination_for_convenience"] = Field(
        description="how the relationship ends: not renewed at term end, or terminated early with notice"
    )
    driver: Literal["service_dissatisfaction", "payment_distress"] = Field(
        description="the hidden cause; both raise every signal, each weights its own signal more"
    )
    signals_from: date = Field(description="dissatisfaction starts rising (0 → 1 by notice_on)")
    notice_on: date = Field(description="the client gives notice: the agreement gets end_date = churned_on")
    churned_on: date = Field(description="status becomes churned and the agreement is cancelled")
    ticket_volume_multiplier: Decimal = Field(description="ticket volume at full dissatisfaction vs normal")
    sla_breach_rate: Decimal = Field(description="probability of a missed SLA target at full dissatisfaction")
    negative_csat_rate: Decimal = Field(description="share of negative CSAT answers at full dissatisfaction")
    extra_days_to_pay: Decimal = Field(description="payment delay added at full dissatisfaction (days)")
    observed: list[MonthObservation]


class LicenceProblem(_Model):
    kind: Literal["over_deployed", "unused", "assigned_unbilled"]
    client_id: str
    subscription_id: str
    sku_id: str
    from_date: date = Field(description="first day the problem exists")
    purchased: int = Field(description="seats bought (subscription quantity)")
    assigned: int = Field(description="seats assigned in the tenant from from_date")
    billed: int = Field(description="quantity on the client's invoice line from from_date")
    user_ids: list[str] = Field(
        description="over_deployed: users assigned beyond purchase; unused: users with no sign-in "
        "since from_date"
    )
    detectable_from: date = Field(
        description="first day a correct detector can see it (unused: from_date + 30 days)"
    )


class SpendAnomaly(_Model):
    anomaly_id: str
    source: Literal["expense", "cloud"]
    shape: Literal["spike", "level_shift", "drift"]
    department: str
    vendor: str | None = Field(description="expense: the vendor of the affected stream")
    category: str | None = Field(description="expense: the category of the affected stream")
    service: str | None = Field(description="cloud: the AWS service of the affected line")
    linked_account_id: str | None
    start: date
    end: date = Field(description="last affected day (level shift and drift run to the end of the log)")
    baseline_daily: Decimal = Field(description="expected amount per active day without the anomaly")
    magnitude: Decimal = Field(
        description="multiplier on the baseline: whole window (spike, shift) or at end (drift)"
    )
    observed_baseline_mean: Decimal = Field(description="mean amount per event in the 28 days before start")
    observed_window_mean: Decimal = Field(
        description="mean amount per event in the window (drift: its last 14 days)"
    )


class ContractNotice(_Model):
    document_id: str
    contract_id: str
    vendor_name: str
    client_id: str | None
    received_at: date
    effective_date: date
    term_months: int
    auto_renews: bool
    renewal_term_months: int | None
    notice_days: int | None = Field(
        description="notice to terminate renewal; None when it does not auto-renew"
    )
    term_end: date = Field(description="end of the term running when the document was received")
    notice_deadline: date | None = Field(description="term_end - notice_days: last day to give notice")
    near_notice: bool = Field(description="the deadline falls between receipt and the end of the log")
    planted: bool = Field(description="dated on purpose so the deadline falls 15-75 days after receipt")
    media_type: str


class Utilisation(_Model):
    technician_id: str
    kind: Literal["over", "under"]
    load_weight: Decimal = Field(
        description="planned share of ticket assignments relative to a normal technician"
    )
    observed_utilisation: Decimal = Field(description="client hours / net available hours over the whole run")
    team_median_utilisation: Decimal


class RunInfo(_Model):
    seed: int
    clients: int
    technicians: int
    months: int
    start: date
    end: date
    currency: str


class WonLost(_Model):
    """One opportunity's planted win drivers and how it ended (SPO's win-model truth)."""

    opportunity_id: str
    referral: bool = Field(description="a new logo from a referral (driver: wins about twice as often)")
    existing_client: bool
    eroding_margin: bool = Field(
        description="an existing client whose margin erodes (scope creep or a cost rise): wins less"
    )
    stalled: bool = Field(description="weeks between steps instead of days (driver: stalled deals lose)")
    favoured: bool = Field(
        description="the drivers favour it: (referral or existing client with a sound margin) and not stalled"
    )
    win_rate: Decimal = Field(description="the probability the outcome was drawn with")
    outcome: Literal["won", "lost", "quiet"]


class Sales(_Model):
    drivers: dict[str, str]
    opportunities: list[WonLost]


class Truth(_Model):
    format_version: int = FORMAT_VERSION
    run: RunInfo
    definitions: dict[str, str]
    margin_erosion: list[MarginErosion]
    churn: list[Churn]
    licences: list[LicenceProblem]
    spend_anomalies: list[SpendAnomaly]
    contracts: list[ContractNotice]
    utilisation: list[Utilisation]
    sales: Sales | None = None


DEFINITIONS = {
    "utilisation": "client-facing hours (non-absence time entries charged to a client) / net available hours "
    "(business days x 8 h - absence hours), per technician",
    "unused": "an assigned licence whose user has had no successful sign-in for 30 days or more",
    "over_deployed": "seats assigned in the tenant (seat-activity snapshots) exceed the "
    "subscription quantity",
    "assigned_unbilled": "the invoice licence line quantity is below the seats assigned",
    "near_notice": "a contract whose notice deadline falls between its receipt and the end of the log",
    "labour_cost": "hours x technician hourly_cost in force on work_date (work-type multiplier 1)",
}
