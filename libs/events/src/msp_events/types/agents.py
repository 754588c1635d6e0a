"""The cross-agent events: what one agent concludes that another must act on.

Each carries the numbers behind the conclusion and a one-sentence ``summary`` (the "why"), so the
consumer can act, and explain its action, without asking the producer anything.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from msp_events.money import Money
from msp_events.registry import EventData, event
from msp_events.types.common import MonthPeriod, require_one_currency

MarginBand = Literal["strong", "healthy", "thin", "critical"]
"""Gross-margin band of a client, by default (Breadbox tiers): strong ≥ 60 %, healthy 40-59 %,
thin 20-39 %, critical < 20 %."""


class MarginDriver(BaseModel):
    """One line of the margin bridge from the previous period to this one."""

    model_config = ConfigDict(frozen=True)

    line: Literal[
        "agreement_fee",
        "labour_revenue",
        "product_revenue",
        "licence_revenue",
        "labour_cost",
        "licence_cost",
        "product_cost",
        "other",
    ] = Field(description="which revenue or cost line moved")
    change: Money = Field(
        description="its effect on gross profit: positive raised margin, negative lowered it"
    )
    detail: str | None = Field(default=None, description="what moved it, e.g. '+14 h on P1 tickets by L3'")


@event(
    "client.profitability.changed",
    owner="cpi",
    key="client_id",
    consumers=("ram", "spo"),
    minor=1,
)
class ClientProfitabilityChanged(EventData):
    """A client's gross margin for a month moved to another band or past the change threshold.

    RAM reacts to a falling margin by routing the client's covered work to lower-cost qualified
    technicians and remote slots; SPO uses a rising or falling margin to time a price increase, a
    re-scope or an upsell. Emitted by CPI only on a meaningful change, never every recalculation.
    """

    client_id: str = Field(description="client whose profitability changed")
    period: MonthPeriod = Field(description="month measured, YYYY-MM")
    gross_margin_pct: Decimal = Field(description="(revenue - cost) / revenue * 100 for the period")
    previous_gross_margin_pct: Decimal | None = Field(
        default=None, description="same measure for the previous period; None for a new client"
    )
    target_gross_margin_pct: Decimal | None = Field(default=None, description="MSP's target margin, percent")
    band: MarginBand = Field(description="band of gross_margin_pct")
    previous_band: MarginBand | None = Field(default=None, description="band in the previous period")
    direction: Literal["up", "down"] = Field(
        description="margin rose or fell against the previous period; when it is unchanged, or there is "
        "no previous period, the direction of the move that made it news (against settled_band, the "
        "trailing months or the corrected judgement)"
    )
    revenue: Money = Field(description="revenue billed for the period (fees, additions, labour, products)")
    cost: Money = Field(description="labour cost (hours * loaded rate) + addition/licence/product cost")
    labour_hours: Decimal = Field(ge=0, description="hours logged for the client in the period")
    effective_hourly_rate: Money | None = Field(
        default=None, description="(revenue - addition cost) / labour hours; None when no hours were logged"
    )
    drivers: list[MarginDriver] = Field(
        default_factory=list, description="largest contributors to the change, biggest first"
    )
    problem_client: bool = Field(
        default=False, description="margin below 20 % for 2 consecutive months (Breadbox 'Problem Client')"
    )
    summary: str = Field(description="one sentence explaining the change, shown to people")
    settled_band: MarginBand | None = Field(
        default=None,
        description="(1.1) band the client was settled in before the period, with hysteresis: a margin "
        "leaves a band only when it is a few points past the boundary, so a client hovering at a "
        "boundary keeps its band; None for a new client",
    )

    @model_validator(mode="after")
    def _currency(self) -> Self:
        require_one_currency(
            self.revenue, self.cost, self.effective_hourly_rate, *(d.change for d in self.drivers)
        )
        return self


ChurnRiskBand = Literal["low", "medium", "high"]
"""Churn-risk band of a client. Model: probability of churning within the horizon, high ≥ 0.25,
medium ≥ 0.08, low below (the base rate is about 3 % a quarter). Health score (stand-in until enough
churn outcomes exist): high below 40 points, medium 40-69, low 70 and above (Breadbox RED/YELLOW/GREEN).
CPI's defaults; an MSP can move the cut-offs."""


class ChurnSignal(BaseModel):
    """One signal behind a client's churn risk, with how much it pushed the risk up."""

    model_config = ConfigDict(frozen=True)

    signal: str = Field(
        description="signal name: ticket_trend, sla_breach_rate, csat_negative_rate, days_late, "
        "margin_trend, tenure_months, months_to_end or notice_given"
    )
    value: Decimal = Field(description="the signal's value for the client (unit in CPI's docs/churn.md)")
    contribution: Decimal = Field(
        description="how much it raised the risk: log-odds (coefficient x standardised value) for the "
        "model, health points lost for the health score"
    )


@event("client.churn.risk.changed", owner="cpi", key="client_id", consumers=("spo",))
class ClientChurnRiskChanged(EventData):
    """A client's churn-risk band changed (published once per change, never twice for one band).

    SPO turns a rising risk into a retention offer (a QBR, a re-scope, a renewal incentive) while
    there is still time before the agreement ends, and stops pushing upsells to a client about to
    leave. The top signals say why, so the offer can address the cause (service quality, price,
    payment trouble) without asking CPI anything.
    """

    client_id: str = Field(description="client whose churn risk changed")
    as_of: date = Field(description="last day of the month whose signals were scored")
    probability: Decimal = Field(
        ge=0,
        le=1,
        description="method 'model': calibrated probability of churning within horizon_months; "
        "method 'health_score': 1 - health/100, a risk index that is not a calibrated probability",
    )
    band: ChurnRiskBand = Field(description="risk band now (cut-offs in the band type's docs)")
    previous_band: ChurnRiskBand | None = Field(
        default=None, description="band last published for the client; None the first time"
    )
    method: Literal["health_score", "model"] = Field(
        description="'model' once CPI's history holds enough churn outcomes to train on, else the "
        "weighted 'health_score' that stands in"
    )
    horizon_months: int = Field(ge=1, description="months ahead the probability refers to")
    signals: list[ChurnSignal] = Field(
        default_factory=list, description="top contributing signals, largest contribution first"
    )
    model_trained_at: AwareDatetime | None = Field(
        default=None, description="when the scoring model was trained (clock time); None for the health score"
    )
    training_rows: int = Field(
        ge=0, description="client-months the model was trained on (0 for the health score)"
    )
    summary: str = Field(description="one sentence explaining the change, shown to people")


@event("sales.opportunity.identified", owner="spo", key="client_id", consumers=("sli",), minor=1)
class SalesOpportunityIdentified(EventData):
    """SPO found a sales opportunity with an existing client in delivery data.

    SLI holds back its own seat actions on the SKU concerned while a true-up or reduction is being
    sold; CPI projects the margin the client would have if it is won. Generators follow Alga PSA:
    renewals due, T&M spend high enough to convert to managed services, service categories the
    client does not buy, ageing assets, plus licence true-ups and price increases.
    """

    suggestion_id: str = Field(description="stable dedupe key: the same finding keeps the same id")
    client_id: str = Field(description="client the opportunity is with")
    kind: Literal[
        "renewal",
        "tm_conversion",
        "whitespace",
        "asset_refresh",
        "licence_true_up",
        "seat_reduction",
        "price_increase",
        "upsell",
    ] = Field(description="which generator found it")
    title: str = Field(description="short title, e.g. 'Convert T&M to Managed Services Pro'")
    estimated_recurring_monthly: Money | None = Field(
        default=None, description="change in monthly recurring revenue if won (negative for a reduction)"
    )
    estimated_one_time: Money | None = Field(default=None, description="one-time revenue if won")
    estimated_margin_pct: Decimal | None = Field(
        default=None, description="expected gross margin of the deal, %"
    )
    win_probability_pct: Decimal = Field(ge=0, le=100, description="SPO's estimated win probability, percent")
    agreement_id: str | None = Field(default=None, description="agreement affected, if any")
    sku_id: str | None = Field(default=None, description="licence SKU concerned (licence kinds)")
    opportunity_id: str | None = Field(default=None, description="CRM opportunity created for it, if any")
    act_by: date | None = Field(default=None, description="date after which the opportunity is lost")
    summary: str = Field(description="why this is an opportunity, one sentence")
    status: Literal["open", "closed"] = Field(
        default="open", description="open when found; closed when acted on or expired (since 1.1)"
    )
    closed_reason: Literal["acted_on", "expired"] | None = Field(
        default=None, description="why it was closed (status closed only, since 1.1)"
    )

    @model_validator(mode="after")
    def _currency(self) -> Self:
        require_one_currency(self.estimated_recurring_monthly, self.estimated_one_time)
        return self


class ProposalLine(BaseModel):
    """One priced line of a proposal."""

    model_config = ConfigDict(frozen=True)

    description: str = Field(description="what is sold")
    billing: Literal["recurring_monthly", "one_time"] = Field(description="monthly fee or one-off charge")
    quantity: Decimal = Field(ge=0, description="units (seats, devices, 1 for a service)")
    unit_price: Money = Field(description="price per unit before discount")
    discount_pct: Decimal = Field(ge=0, le=100, description="discount on the line, percent")
    total: Money = Field(description="quantity x unit price less the discount, rounded half-up to the cent")


@event("sales.proposal.generated", owner="spo", key="client_id", consumers=(), planned=("cpi",))
class SalesProposalGenerated(EventData):
    """SPO drafted a proposal for an opportunity it identified: the numbers, never the prose.

    The narrative is written for people when the proposal is read (``GET /proposals/{id}``,
    Markdown or PDF) by a text writer; the event holds only what is decided and deterministic.
    A proposal for licensed products waits for SLI's ``license.compliance.checked`` answer (up to a
    timeout in event time) and carries it.
    """

    proposal_id: str = Field(description="stable id, derived from the suggestion")
    suggestion_id: str = Field(description="the sales.opportunity.identified it answers")
    client_id: str = Field(description="client the proposal is for")
    kind: str = Field(description="the opportunity's kind (renewal, tm_conversion, ...)")
    title: str = Field(description="proposal title")
    lines: list[ProposalLine] = Field(description="priced lines, recurring first")
    recurring_monthly_total: Money = Field(description="sum of the recurring lines, before tax")
    one_time_total: Money = Field(description="sum of the one-time lines, before tax")
    tax_pct: Decimal = Field(ge=0, description="tax rate applied, percent")
    recurring_monthly_tax: Money = Field(description="tax on the recurring total")
    one_time_tax: Money = Field(description="tax on the one-time total")
    licence_check: Literal["not_needed", "ok", "issues", "no_answer"] = Field(
        description="SLI's answer for licensed products (no_answer: none before the timeout)"
    )
    licence_check_summary: str | None = Field(
        default=None, description="SLI's sentence, shown in the proposal"
    )
    act_by: date | None = Field(default=None, description="date after which the opportunity is lost")
    summary: str = Field(description="why, one sentence (the opportunity's)")

    @model_validator(mode="after")
    def _currency(self) -> Self:
        require_one_currency(
            self.recurring_monthly_total, self.one_time_total, self.recurring_monthly_tax, self.one_time_tax,
            *(x.total for x in self.lines), *(x.unit_price for x in self.lines),
        )  # fmt: skip
        return self


class ClientHours(BaseModel):
    """Hours a technician spent on one client in the alert period."""

    model_config = ConfigDict(frozen=True)

    client_id: str = Field(description="client")
    hours: Decimal = Field(ge=0, description="hours logged (or scheduled, for a forecast) on the client")


@event(
    "resource.utilization.alert", owner="ram", key="technician_id", consumers=(), planned=("cpi",), minor=2
)
class ResourceUtilizationAlert(EventData):
    """A technician's billable utilisation is outside the target band.

    Over (above the burnout line, typically > 85 %) means unbilled overtime, SLA risk and churn
    risk; under means paid capacity earning nothing. CPI folds this into the cost outlook of the
    clients the technician's hours went to, and into capacity-driven pricing.

    Since 1.2 a forecast alert has a life: published once with ``status="open"`` when booked work
    projects the technician (or team) into the band, and once more with ``status="withdrawn"``
    (``change="left"``) when the booking changes and the projection no longer does, before the
    period closes. A reader that keeps the latest forecast per technician, period and kind holds
    the forecasts still standing.
    """

    technician_id: str = Field(description="technician concerned")
    period_start: date = Field(description="first day of the measured (or forecast) period")
    period_end: date = Field(description="last day of the period")
    basis: Literal["actual", "forecast"] = Field(
        description="actual = logged time; forecast = scheduled and estimated hours ahead"
    )
    kind: Literal["over", "under"] = Field(description="above the upper or below the lower threshold")
    utilisation_pct: Decimal = Field(ge=0, description="billable hours / net available hours * 100")
    target_pct: Decimal = Field(ge=0, le=100, description="technician's billable-utilisation target, percent")
    threshold_pct: Decimal = Field(ge=0, description="the threshold crossed, percent")
    billable_hours: Decimal = Field(ge=0, description="billable hours in the period")
    available_hours: Decimal = Field(
        ge=0, description="net available hours: working days * daily capacity - absence"
    )
    client_hours: list[ClientHours] = Field(
        default_factory=list, description="where the hours went, largest first"
    )
    summary: str = Field(description="one sentence explaining the alert")
    change: Literal["entered", "left"] = Field(
        default="entered", description="the technician (or team) entered the band of ``kind`` or left it"
    )
    scope: Literal["technician", "team"] = Field(
        default="technician",
        description="team: technician_id is 'team:<work role>' and the hours are the team's together",
    )
    granularity: Literal["week", "month"] | None = Field(default=None, description="length of the period")
    previous_utilisation_pct: Decimal | None = Field(
        default=None, ge=0, description="the same measure for the period before (the trend)"
    )
    logged_hours: Decimal | None = Field(default=None, ge=0, description="all non-absence hours logged")
    status: Literal["open", "withdrawn"] = Field(
        default="open",
        description="withdrawn: a forecast alert taken back because the booked work changed and the "
        "projection no longer reaches the band (1.2); actual alerts are always open",
    )

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.status == "withdrawn" and self.basis != "forecast":
            raise ValueError("only a forecast alert can be withdrawn")
        return self


@event("resource.assignment.made", owner="ram", key="work_id", consumers=(), planned=("cpi",))
class ResourceAssignmentMade(EventData):
    """RAM assigned an incoming ticket or visit to a technician (or found nobody worth it).

    Published once per piece of work when RAM assigns it, and again with the next ``revision``
    when the work changes what it needs (a ticket's required skill or estimate, a visit's skill or
    duration) and RAM assigns it afresh. The latest revision per ``work_id`` is the one in force.
    A recommendation to the dispatcher, not a write to the PSA. CPI can fold the booked labour
    cost into the client's cost outlook.
    """

    work_id: str = Field(description="ticket or visit id")
    kind: Literal["ticket", "visit"] = Field(description="what is assigned")
    client_id: str = Field(description="client the work is for")
    technician_id: str | None = Field(
        default=None,
        description="technician assigned; None when no qualified technician with room was worth it",
    )
    revision: int = Field(
        ge=1, description="1 for the first assignment, +1 each time the work is re-assigned"
    )
    previous_technician_id: str | None = Field(
        default=None, description="who the previous revision assigned it to (None on revision 1)"
    )
    hours: Decimal = Field(
        ge=0, description="hours of work assigned (a ticket's remaining estimate, a visit's duration)"
    )
    required_skill: str | None = Field(default=None, description="skill the work requires, as assigned")
    labour_cost: Money | None = Field(
        default=None, description="hours x the technician's loaded cost rate; None when unassigned"
    )
    sla_slack_hours: Decimal | None = Field(
        default=None,
        description="hours left before fix-by when started now; negative: fix-by at risk; None: no SLA",
    )
    reason: str = Field(description="one sentence: why this technician, what it costs, the SLA slack")


class AllocationMove(BaseModel):
    """One piece of a client's work moved to another technician or to a remote slot."""

    model_config = ConfigDict(frozen=True)

    work_id: str = Field(description="ticket or visit id")
    kind: Literal["ticket", "visit"] = Field(description="what is moved")
    from_technician_id: str | None = Field(default=None, description="assigned now; None when unassigned")
    to_technician_id: str = Field(description="recommended technician")
    remote: bool = Field(default=False, description="done remotely instead of on site (no travel)")
    hours: Decimal = Field(ge=0, description="hours of work moved")
    monthly_saving: Money = Field(description="cost saved per month by this move")
    reason: str = Field(description="one sentence: why this technician")
    travel_minutes_saved: int | None = Field(
        default=None, ge=0, description="a remote move: the trip's minutes the route no longer drives (1.1)"
    )
    travel_km_saved: Decimal | None = Field(
        default=None,
        ge=0,
        description="a remote move: the trip's kilometres the route no longer drives (1.1)",
    )
    travel_saving: Money | None = Field(
        default=None,
        description="a remote move: what the trip cost (its time at the technician's rate plus the "
        "kilometres), part of monthly_saving (1.1)",
    )


@event(
    "resource.allocation.recommended",
    owner="ram",
    key="client_id",
    consumers=("dsa",),
    planned=("cpi",),
    minor=1,
)
class ResourceAllocationRecommended(EventData):
    """RAM's answer to a client's falling margin (rule 1): the same work, cheaper qualified hands.

    On ``client.profitability.changed`` with direction down, RAM re-plans the client's open and
    upcoming tickets and visits towards lower-cost qualified technicians and remote slots, and
    publishes the moves with the monthly saving they are expected to bring. A recommendation, not
    a dispatch: the service manager applies it. Since 1.1 a move to a remote slot says what travel
    it saves (minutes, kilometres and their cost).
    """

    client_id: str = Field(description="client whose margin fell")
    period: MonthPeriod = Field(description="month whose margin fell")
    gross_margin_pct: Decimal = Field(description="the margin that triggered the re-plan, percent")
    monthly_saving: Money = Field(description="expected labour cost saved per month, all moves together")
    moves: list[AllocationMove] = Field(default_factory=list, description="the moves, largest saving first")
    summary: str = Field(description="one sentence explaining the recommendation")

    @model_validator(mode="after")
    def _currency(self) -> Self:
        require_one_currency(
            self.monthly_saving,
            *(m.monthly_saving for m in self.moves),
            *(m.travel_saving for m in self.moves if m.travel_saving is not None),
        )
        return self


@event(
    "license.compliance.violation",
    owner="sli",
    key="client_id",
    consumers=("cpi", "dsa", "spo", "vcm"),
    minor=1,
)
class LicenseComplianceViolation(EventData):
    """Bought, assigned and billed seats for one client's SKU disagree, or the licence lapsed.

    CPI re-prices the client's margin with the exposure (unbilled seats are lost revenue, unused
    seats are cost); SPO opens a true-up quote or proposes a seat reduction at the next
    commitment end.

    Since 1.1 a finding has a life: it is published once when found, again (same
    ``violation_id``) whenever its gap changes (seats, money, or the action), and a last time with
    ``status="resolved"``, ``seats_affected=0`` and zero exposure when the gap closes. A reader
    that keeps the latest report per ``violation_id`` therefore holds the open findings.
    """

    violation_id: str = Field(description="stable id of the finding (same finding, same id)")
    client_id: str = Field(description="client concerned")
    kind: Literal["over_deployed", "unused_seats", "unbilled_seats", "over_billed", "expired"] = Field(
        description="over_deployed: assigned/installed > purchased; unused_seats: purchased > active; "
        "unbilled_seats: billed < assigned; over_billed: billed > purchased; expired: lapsed but in use"
    )
    sku_id: str = Field(description="vendor SKU id")
    sku_part_number: str | None = Field(default=None, description="SKU code, e.g. 'SPB'")
    product_name: str | None = Field(default=None, description="product name")
    subscription_id: str | None = Field(default=None, description="distributor subscription, if any")
    agreement_id: str | None = Field(default=None, description="PSA agreement billing the SKU, if any")
    seats_purchased: int = Field(ge=0, description="seats bought at the distributor")
    seats_assigned: int = Field(ge=0, description="seats assigned in the tenant (or installs, for software)")
    seats_active: int | None = Field(default=None, ge=0, description="assigned seats used within the window")
    seats_billed: int | None = Field(default=None, ge=0, description="seats billed to the client in the PSA")
    seats_affected: int = Field(ge=0, description="seats in violation (the gap that is exposed)")
    inactive_days: int | None = Field(
        default=None, ge=1, description="inactivity window used for unused_seats, e.g. 60 or 90 days"
    )
    monthly_exposure: Money = Field(
        description="money at stake per month: seats_affected * unit cost (unused) or * unit price (unbilled)"
    )
    commitment_end_date: date | None = Field(
        default=None, description="when seats can next be reduced (NCE commitment end)"
    )
    recommended_action: Literal[
        "reduce_seats", "reclaim_licences", "bill_client", "credit_client", "buy_seats", "renew"
    ] = Field(description="what SLI recommends")
    summary: str = Field(description="one sentence explaining the finding")
    status: Literal["open", "resolved"] = Field(
        default="open", description="open (found or changed) or resolved (the gap closed) (1.1)"
    )
    finding_class: (
        Literal["unbilled", "under_billed", "over_billed", "over_deployed", "unused", "expired"] | None
    ) = Field(
        default=None,
        description="SLI's class (1.1): unbilled (nothing billed for seats bought or assigned) and "
        "under_billed (billed fewer than bought) are both kind unbilled_seats",
    )
    exposure_known: bool = Field(
        default=True,
        description="False when the unit cost or price behind the money is unknown (a distributor "
        "export without cost): monthly_exposure is then 0, not the real amount (1.1)",
    )
    exposure_nature: Literal["leakage", "saving", "credit"] | None = Field(
        default=None,
        description="what monthly_exposure is: revenue or cost leaking now, cost that can be saved, or "
        "an amount owed back to the client (1.1)",
    )
    action_text: str | None = Field(
        default=None,
        description="the exact action, e.g. 'add 4 seats of Microsoft 365 Business Premium to agreement "
        "AGR-1' or 'reclaim from these inactive users: ...' (1.1)",
    )
    inactive_users: list[str] = Field(
        default_factory=list, description="sign-in names of the inactive users to reclaim from (1.1)"
    )
    seats_installed: int | None = Field(
        default=None, ge=0, description="devices with the software installed, when counted (1.1)"
    )


class CheckedFinding(BaseModel):
    """An open licence finding on the product an opportunity concerns."""

    model_config = ConfigDict(frozen=True)

    violation_id: str = Field(description="the finding's license.compliance.violation id")
    kind: Literal["over_deployed", "unused_seats", "unbilled_seats", "over_billed", "expired"] = Field(
        description="kind of the finding"
    )
    sku_id: str = Field(description="vendor SKU id")
    seats_affected: int = Field(ge=0, description="seats in the gap")
    action_text: str = Field(description="the exact action SLI recommends")


@event("license.compliance.checked", owner="sli", key="client_id", consumers=("spo",))
class LicenseComplianceChecked(EventData):
    """SLI checked a client's entitlements for a licence opportunity SPO identified.

    Sent once per ``sales.opportunity.identified`` of a licence kind (true-up, seat reduction) or
    naming a SKU: ``ok`` when the client's SKU is properly licensed, ``issues`` with the open
    findings otherwise, and the seats available, so the quote matches what is really bought,
    assigned and billed before it goes out.
    """

    check_id: str = Field(description="stable id: one check per opportunity (derived from suggestion_id)")
    client_id: str = Field(description="client concerned")
    suggestion_id: str = Field(description="the SPO opportunity checked")
    sku_id: str | None = Field(default=None, description="SKU checked; None = every SKU of the client")
    status: Literal["ok", "issues"] = Field(description="ok: properly licensed; issues: open findings")
    seats_purchased: int = Field(ge=0, description="seats bought on subscriptions in force")
    seats_assigned: int = Field(ge=0, description="seats assigned in the tenant (or installs)")
    seats_available: int = Field(
        description="purchased - assigned: seats free to assign (negative: over-deployed)"
    )
    findings: list[CheckedFinding] = Field(
        default_factory=list, description="open findings, most urgent first"
    )
    summary: str = Field(description="one sentence: the answer to the salesperson")


class RootCause(BaseModel):
    """One dimension value that explains an anomaly (AWS RootCauses style)."""

    model_config = ConfigDict(frozen=True)

    dimension: str = Field(description="dimension, e.g. 'vendor', 'service', 'region', 'usage_type'")
    value: str = Field(description="value of the dimension, e.g. 'Amazon EC2'")
    impact: Money | None = Field(default=None, description="share of the anomaly's impact, if known")


@event("spend.anomaly.detected", owner="dsa", key="department", consumers=("vcm",), minor=1)
class SpendAnomalyDetected(EventData):
    """A department's spend departed from its expected level.

    VCM checks whether the vendor behind it is under contract (a price rise at renewal, a
    commitment not covering usage); CPI checks whether the cost is resold to a client and so
    moves that client's margin.
    """

    anomaly_id: str = Field(description="stable id of the anomaly (updates keep the id)")
    department: str = Field(description="department whose spend is anomalous")
    spend_source: Literal["expense", "cloud", "licence"] = Field(description="which spend stream")
    category: str | None = Field(default=None, description="spend category, if the anomaly is in one")
    vendor: str | None = Field(default=None, description="vendor behind the anomaly, if one dominates")
    client_id: str | None = Field(default=None, description="client the spend is resold to, if any")
    shape: Literal["spike", "level_shift", "drift"] = Field(
        description="spike: short burst; level_shift: sustained step; drift: gradual trend"
    )
    period_start: date = Field(description="first day of the anomalous period")
    period_end: date = Field(description="last day of the anomalous period so far")
    expected: Money = Field(description="expected spend for the period (TotalExpectedSpend)")
    actual: Money = Field(description="actual spend for the period (TotalActualSpend)")
    impact: Money = Field(description="actual - expected (TotalImpact)")
    impact_pct: Decimal | None = Field(
        default=None, description="impact / expected * 100; None when expected is 0"
    )
    score: Decimal = Field(ge=0, description="anomaly score; higher = more unusual")
    root_causes: list[RootCause] = Field(default_factory=list, description="what explains it, biggest first")
    budget_id: str | None = Field(default=None, description="budget put at risk, if any")
    summary: str = Field(description="one sentence explaining the anomaly")
    status: Literal["open", "closed"] = Field(
        default="open",
        description="open while it may still grow (each growth is re-published with the same "
        "anomaly_id); closed once a season has passed without it (since 1.1)",
    )
    seasonal_break: bool = Field(
        default=False,
        description="the step is in the seasonal pattern (a weekday or day of month no longer spends as "
        "it used to), published with shape level_shift (since 1.1)",
    )
    dimension: str | None = Field(
        default=None,
        description="the series it was found in: department, category, vendor, account or service "
        "(since 1.1)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        require_one_currency(self.expected, self.actual, self.impact, *(r.impact for r in self.root_causes))
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


@event("contract.renewal.due", owner="vcm", key="contract_id", consumers=("dsa",), major=2)
class ContractRenewalDue(EventData):
    """A vendor contract's renewal notice deadline is inside a reminder window (120/90/60/30/7 days).

    DSA books the renewal in the owning department's budget forecast (with the expected uplift)
    and warns if it does not fit. After the notice deadline an auto-renewing contract can no
    longer be stopped, so the deadline, not the end date, is what the window counts down to.

    Version history: major 2 (topic ``contract.renewal.due.v2``) makes ``annual_value`` optional:
    a contract whose value its documents do not state still has a deadline to warn about, and a
    1.0 reader (DSA's rule 3) would have failed on the missing value, so it is not a compatible
    minor. Topic ``contract.renewal.due`` (1.0) is no longer written: drain it before upgrading.
    """

    contract_id: str = Field(description="vendor contract id")
    vendor: str = Field(description="vendor name")
    contract_name: str | None = Field(default=None, description="contract title")
    contract_number: str | None = Field(default=None, description="vendor's contract/agreement number")
    department: str | None = Field(default=None, description="department that owns and pays for it")
    client_id: str | None = Field(default=None, description="client served back-to-back, if any")
    client_agreement_id: str | None = Field(default=None, description="client agreement it backs, if any")
    renewal_date: date = Field(description="date the current term ends and the renewal starts")
    notice_deadline: date = Field(description="last day to give notice: renewal_date - notice period")
    days_to_notice_deadline: int = Field(description="days from the clock's today to notice_deadline")
    auto_renew: bool = Field(description="renews unless notice is given (tacit renewal)")
    renewal_term_months: int | None = Field(default=None, ge=1, description="length of the next term")
    annual_value: Money | None = Field(
        default=None, description="current annual contract value; None when no document states it (since 2.0)"
    )
    expected_uplift_pct: Decimal | None = Field(
        default=None, description="expected price increase at renewal, %"
    )
    outlives_client_agreement: bool | None = Field(
        default=None, description="the renewed term would run past the backed client agreement's end"
    )
    recommendation: Literal["renew", "renegotiate", "cancel", "review"] | None = Field(
        default=None, description="VCM's recommendation"
    )
    summary: str = Field(description="one sentence explaining what is due")

    @model_validator(mode="after")
    def _deadline(self) -> Self:
        if self.notice_deadline > self.renewal_date:
            raise ValueError("notice_deadline is after renewal_date")
        return self


@event("spend.vendor.analyzed", owner="dsa", key="contract_id", consumers=("vcm",), major=2)
class SpendVendorAnalyzed(EventData):
    """DSA's analysis of 12 months of spend with a vendor whose contract renewal is due (rule 3).

    VCM weighs it with the contract's terms: spend falling to nothing argues for cancelling,
    rising prices or spend above the contract's value for renegotiating.

    Version history: major 2 (topic ``spend.vendor.analyzed.v2``) makes ``annual_value`` optional,
    with ``contract.renewal.due`` 2.0: a renewal of a contract of unknown value is analysed on its
    spend alone (a 1.0 reader would fail on the missing value).
    """

    contract_id: str = Field(description="the contract whose renewal is due")
    vendor: str = Field(description="vendor name as on the contract")
    department: str | None = Field(default=None, description="department analysed; None = every department")
    window_start: date = Field(description="first day of the 12 months analysed")
    window_end: date = Field(description="last day of the 12 months analysed")
    spend_12m: Money = Field(description="spend booked with the vendor in the window")
    monthly_spend: list[Money] = Field(description="spend per month of the window, oldest first")
    trend_pct_per_month: Decimal | None = Field(
        default=None, description="least-squares slope of monthly spend as % of its mean; None without spend"
    )
    price_change_pct: Decimal | None = Field(
        default=None, description="mean of the last 3 months against the first 3, %; None when those are 0"
    )
    share_of_budget_pct: Decimal | None = Field(
        default=None, description="spend_12m as % of the department's budgets in the window; None without one"
    )
    anomalies: int = Field(ge=0, description="spend anomalies DSA found in the vendor's series in the window")
    forecast_next_term: Money = Field(
        description="next term's cost: the last 3 months' run rate x term months x (1 + expected uplift)"
    )
    annual_value: Money | None = Field(
        default=None,
        description="the contract's annual value (from the renewal notice); None when unknown (since 2.0)",
    )
    recommendation: Literal["renew", "renegotiate", "cancel"] = Field(description="DSA's recommendation")
    reasons: list[str] = Field(description="the rules that decided it, in words")
    summary: str = Field(description="one sentence with the numbers")
