"""Facts from the MSP's PSA (ConnectWise Manage, Autotask, HaloPSA): clients, agreements,
technicians, tickets and time.

Field names follow the PSA exports in snake_case (ConnectWise REST models first, the Autotask or
HaloPSA equivalent named in the description where it differs). ``*.upserted`` events carry the
entity's full current state, not a diff: a consumer replaces what it holds, so a missed event is
repaired by the next one and a replay rebuilds the same state.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from msp_events.money import CurrencyCode, Money
from msp_events.registry import EventData, event
from msp_events.types.common import Latitude, Longitude, Priority, require_one_currency

BillableOption = Literal["billable", "non_billable", "no_charge"]


class Site(BaseModel):
    """A client location technicians may have to visit."""

    model_config = ConfigDict(frozen=True)

    site_id: str = Field(description="PSA site id (CW company site id, Halo SITE.Ssitenum)")
    name: str = Field(description="site name as shown in the PSA, e.g. 'Head office'")
    address_line1: str | None = Field(default=None, description="street address")
    city: str | None = Field(default=None, description="city")
    postal_code: str | None = Field(default=None, description="postal/ZIP code (CW 'zip')")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country code, e.g. US")
    latitude: Latitude | None = Field(default=None, description="geocoded latitude, for route planning")
    longitude: Longitude | None = Field(default=None, description="geocoded longitude, for route planning")
    primary: bool = Field(default=False, description="the client's main site (CW primaryAddressFlag)")


@event(
    "psa.client.upserted",
    owner="source",
    key="client_id",
    consumers=("cpi", "spo"),
    planned=("ram", "sli", "dsa", "vcm"),
)
class ClientUpserted(EventData):
    """A client (PSA company/account) was created or changed; the payload is its full state.

    Every agent keys its work by client: CPI groups margin by it, SPO tells existing clients from
    prospects, RAM routes to its sites, SLI maps distributor tenants to it, DSA and VCM attribute
    resold spend and back-to-back contracts to it. Tier, status and churn date let agents
    compare like with like and stop acting on clients that have left.
    """

    client_id: str = Field(description="PSA company id (CW Company.id, AT AccountID, Halo AREA.Aarea)")
    name: str = Field(description="company name (CW Company.name, Halo AREA.aareadesc)")
    status: Literal["prospect", "active", "inactive", "churned"] = Field(
        description="relationship status; 'churned' means the client left (see churned_on)"
    )
    tier: str | None = Field(
        default=None, description="service package/tier the MSP sells the client, e.g. 'Essentials', 'Pro'"
    )
    industry: str | None = Field(default=None, description="industry/market (CW market, AT MarketSegment)")
    employee_count: int | None = Field(
        default=None, ge=0, description="number of employees (CW numberOfEmployees), sizes per-user pricing"
    )
    address_line1: str | None = Field(default=None, description="street address of the billing address")
    city: str | None = Field(default=None, description="city of the billing address")
    state: str | None = Field(default=None, description="state/region of the billing address")
    postal_code: str | None = Field(default=None, description="postal/ZIP code of the billing address")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country code")
    latitude: Latitude | None = Field(default=None, description="geocoded latitude of the main address")
    longitude: Longitude | None = Field(default=None, description="geocoded longitude of the main address")
    sites: list[Site] = Field(default_factory=list, description="all sites, with coordinates for dispatch")
    account_manager_id: str | None = Field(
        default=None, description="member id of the account manager (Halo AREA.AAccountManagerTech)"
    )
    account_manager_name: str | None = Field(default=None, description="account manager's display name")
    currency: CurrencyCode | None = Field(default=None, description="currency the client is invoiced in")
    created_on: date = Field(description="date the company record was created / became a client")
    churned_on: date | None = Field(default=None, description="date the client left; None while a client")
    churn_reason: str | None = Field(default=None, description="why the client left, as recorded")
    updated_at: AwareDatetime | None = Field(
        default=None, description="last change in the PSA (CW _info.lastUpdated); newer wins"
    )


class Addition(BaseModel):
    """A recurring product line on an agreement (CW Addition, AT ContractService, Halo recurring line)."""

    model_config = ConfigDict(frozen=True)

    addition_id: str | None = Field(default=None, description="PSA id of the addition line")
    product_id: str = Field(description="PSA catalog product/service id (CW product.identifier)")
    description: str = Field(description="line description as invoiced")
    quantity: Decimal = Field(ge=0, description="units billed per billing cycle (seats, devices, ...)")
    unit_price: Money = Field(description="price per unit charged to the client per billing cycle")
    unit_cost: Money = Field(description="MSP's cost per unit per billing cycle (distributor/vendor cost)")
    vendor_sku: str | None = Field(
        default=None,
        description="vendor SKU this line resells (Microsoft skuId / Pax8 productId); the PSA↔vendor "
        "mapping SLI reconciles against",
    )
    effective_date: date | None = Field(default=None, description="first day the line is billed")
    cancelled_date: date | None = Field(default=None, description="day the line stopped being billed")
    bill_customer: Literal["billable", "do_not_bill", "no_charge"] = Field(
        default="billable",
        description="CW bill_customer: billable, do_not_bill (hidden, not charged) or no_charge (shown at 0)",
    )


@event(
    "psa.agreement.upserted",
    owner="source",
    key="agreement_id",
    consumers=("cpi", "sli", "spo", "vcm"),
    planned=("ram",),
)
class AgreementUpserted(EventData):
    """A client agreement (contract) was created or changed; the payload is its full state.

    The agreement is the revenue side of the margin: CPI computes ``Profit = Billed - (Addition
    cost + Labour cost)`` per agreement from the fee and additions here. RAM needs to know what is
    covered (labour on a managed-services agreement earns nothing extra) to dispatch by margin;
    SLI reconciles licence additions against distributor quantities; SPO spots renewals and
    T&M-to-managed conversions; VCM aligns vendor contracts with the client terms they serve.
    """

    agreement_id: str = Field(description="PSA agreement id (CW Agreement.id, AT ContractID, Halo CHid)")
    client_id: str = Field(description="client the agreement belongs to")
    name: str = Field(description="agreement name, e.g. 'Managed Services - Pro'")
    agreement_type: Literal["managed_services", "block_hours", "time_and_materials", "project"] = Field(
        description="commercial model: fixed monthly fee, prepaid hours, hourly billing, or a project"
    )
    parent_agreement_id: str | None = Field(
        default=None, description="parent agreement when this is a child (e.g. resold licences split out)"
    )
    start_date: date = Field(description="first day of the agreement")
    end_date: date | None = Field(default=None, description="last day; None = no ending date (evergreen)")
    billing_cycle: Literal["monthly", "quarterly", "semi_annual", "annual", "one_time"] = Field(
        description="how often bill_amount is invoiced (CW bill_cycle, Halo CHBillingPeriod)"
    )
    bill_amount: Money = Field(description="fixed fee invoiced each billing cycle, excluding additions")
    included_hours: Decimal | None = Field(
        default=None,
        ge=0,
        description="labour hours included per billing cycle (CW application_units=hours, Halo "
        "CHChargeHoursPerPeriod); None = unlimited or not hour-capped",
    )
    carry_over_unused: bool | None = Field(default=None, description="unused included hours roll over")
    hourly_rate: Money | None = Field(default=None, description="rate billed for non-covered labour")
    overage_rate: Money | None = Field(
        default=None, description="rate per hour beyond included_hours (AT OverageBillingRate)"
    )
    covers_labour: bool | None = Field(
        default=None, description="labour is covered by the fee (CW cover_agreement_time)"
    )
    auto_renew: bool | None = Field(default=None, description="renews automatically at end_date")
    renewal_term_months: int | None = Field(default=None, ge=1, description="length of each renewal")
    notice_period_days: int | None = Field(
        default=None, ge=0, description="days of notice the client must give to stop a renewal"
    )
    cancelled: bool = Field(default=False, description="agreement was cancelled (CW cancelled_flag)")
    cancelled_date: date | None = Field(default=None, description="date cancelled (CW date_cancelled)")
    cancellation_reason: str | None = Field(default=None, description="why (CW reason_cancelled)")
    additions: list[Addition] = Field(
        default_factory=list, description="recurring product/licence lines billed with the agreement"
    )
    opportunity_id: str | None = Field(default=None, description="CRM opportunity the agreement came from")
    updated_at: AwareDatetime | None = Field(
        default=None, description="last change in the PSA (CW _info.lastUpdated); newer wins"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        amounts: list[Money | None] = [self.bill_amount, self.hourly_rate, self.overage_rate]
        for a in self.additions:
            amounts += [a.unit_price, a.unit_cost]
        require_one_currency(*amounts)
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class CostRate(BaseModel):
    """One effective-dated fully loaded labour cost (ALGA user_cost_rates; CW Member.hourly_cost)."""

    model_config = ConfigDict(frozen=True)

    effective_from: date = Field(description="first work date this rate applies to")
    effective_to: date | None = Field(default=None, description="last work date; None = until replaced")
    hourly_cost: Money = Field(
        description="fully loaded cost of one hour (salary + benefits + overhead); CPI multiplies hours by it"
    )


class Skill(BaseModel):
    """A skill or certification (Halo qualification, Timefold skill)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="skill name, matched against a ticket's/visit's required_skill")
    level: int | None = Field(default=None, ge=1, le=5, description="proficiency 1 (basic) to 5 (expert)")
    expires_on: date | None = Field(default=None, description="certification expiry; expired = not held")


@event("psa.technician.upserted", owner="source", key="technician_id", consumers=("ram", "cpi", "dsa"))
class TechnicianUpserted(EventData):
    """A technician (PSA member/resource) was created or changed; the payload is its full state.

    RAM plans work with skills, home base, capacity and billable target; CPI values every logged
    hour at the effective-dated fully loaded cost (the rate in force on the work date, never a
    later one, so history is not rewritten when pay changes).
    """

    technician_id: str = Field(description="PSA member id (CW Member.id, AT ResourceID, Halo UNAME.Unum)")
    name: str = Field(description="display name")
    email: str | None = Field(default=None, description="work e-mail")
    work_role: str = Field(description="default work role, e.g. 'Service Desk L1', 'Engineer L2'")
    skills: list[Skill] = Field(default_factory=list, description="skills/certifications held")
    time_zone: str | None = Field(default=None, description="IANA time zone, e.g. America/Chicago")
    home_latitude: Latitude | None = Field(default=None, description="latitude where the working day starts")
    home_longitude: Longitude | None = Field(
        default=None, description="longitude where the working day starts"
    )
    daily_capacity_hours: Decimal = Field(
        gt=0, le=24, description="hours available per working day (CW daily_capacity)"
    )
    weekly_billable_hours_target: Decimal | None = Field(
        default=None, ge=0, description="weekly billable-hours goal (AT), e.g. 30 of 40 = 75 %"
    )
    include_in_utilisation: bool = Field(
        default=True, description="counted in utilisation reports (CW include_in_utilization_reporting_flag)"
    )
    cost_rates: list[CostRate] = Field(
        default_factory=list,
        description="fully loaded hourly cost history; empty = cost unknown (hours are reported uncosted)",
    )
    hourly_rate: Money | None = Field(default=None, description="default rate billed for this member's time")
    active: bool = Field(default=True, description="still employed/assignable (CW not inactive_flag)")
    updated_at: AwareDatetime | None = Field(
        default=None, description="last change in the PSA (CW _info.lastUpdated); newer wins"
    )


@event(
    "psa.ticket.updated", owner="source", key="ticket_id", consumers=("cpi", "ram", "dsa"), planned=("vcm",)
)
class TicketUpdated(EventData):
    """A service ticket was opened or changed; the payload is its full current state.

    RAM assigns and schedules open tickets by priority, SLA due times, estimate and required
    skill; CPI counts support load, SLA breaches and satisfaction per client and agreement (the
    health side of profitability); VCM attributes tickets to the vendor product at fault for
    vendor scorecards.
    """

    ticket_id: str = Field(
        description="PSA ticket id (CW ServiceTicket.id, AT TicketID, Halo FAULTS.Faultid)"
    )
    client_id: str = Field(description="client the ticket is for")
    agreement_id: str | None = Field(default=None, description="agreement the work is charged to, if any")
    summary: str | None = Field(default=None, description="ticket title")
    board: str = Field(description="service board/queue, e.g. 'Service Desk', 'Projects', 'Alerts'")
    priority: Priority = Field(description="normalised priority p1 (emergency) .. p4 (low)")
    status: Literal["new", "in_progress", "scheduled", "waiting", "resolved", "closed"] = Field(
        description="normalised status; 'waiting' = on client/vendor, SLA clock usually paused"
    )
    ticket_type: Literal["incident", "service_request", "problem", "change", "alert"] | None = Field(
        default=None, description="ticket type (CW type, ITIL classification)"
    )
    opened_at: AwareDatetime = Field(description="when the ticket was entered")
    responded_at: AwareDatetime | None = Field(default=None, description="first response (actual)")
    closed_at: AwareDatetime | None = Field(default=None, description="when it was resolved/closed")
    respond_by: AwareDatetime | None = Field(
        default=None, description="SLA response due (Halo FRespondByDate)"
    )
    fix_by: AwareDatetime | None = Field(default=None, description="SLA resolution due (Halo fixbydate)")
    sla_breached: bool = Field(default=False, description="a response or resolution target was missed")
    estimated_hours: Decimal | None = Field(
        default=None, ge=0, description="estimated effort (AT estimated time)"
    )
    actual_hours: Decimal | None = Field(default=None, ge=0, description="hours logged so far")
    required_skill: str | None = Field(default=None, description="skill a technician must hold to work it")
    site_id: str | None = Field(default=None, description="client site the work is at (see psa.client sites)")
    assigned_technician_id: str | None = Field(default=None, description="technician currently assigned")
    product_vendor: str | None = Field(
        default=None, description="vendor of the product at fault (CW configuration/product), for VCM"
    )
    csat_rating: Literal["positive", "neutral", "negative"] | None = Field(
        default=None, description="customer satisfaction survey answer (SmileBack-style 3 point)"
    )
    updated_at: AwareDatetime = Field(description="when the ticket reached this state; newer wins")


@event(
    "psa.time_entry.logged",
    owner="source",
    key="time_entry_id",
    consumers=("cpi", "ram", "spo", "dsa"),
    fact_dates=("work_date",),
)
class TimeEntryLogged(EventData):
    """A technician logged (or corrected) time; a corrected entry is re-sent with the same id.

    CPI turns hours into labour cost (hours * cost rate on work_date * work-type multiplier) and
    into revenue when billable; RAM measures actual utilisation (billable hours / net available
    hours, where absence entries reduce the available hours).
    """

    time_entry_id: str = Field(description="PSA time entry id (CW TimeEntry.id, Halo ACTIONS id)")
    client_id: str = Field(
        description="client charged; internal/admin/absence time is charged to the MSP's own company id"
    )
    technician_id: str = Field(description="member who did the work (CW member, AT ResourceID)")
    agreement_id: str | None = Field(default=None, description="agreement the time is charged to")
    ticket_id: str | None = Field(default=None, description="ticket worked, if any")
    work_date: date = Field(description="date worked (AT DateWorked); selects the cost rate")
    time_start: AwareDatetime | None = Field(default=None, description="start of the work")
    time_end: AwareDatetime | None = Field(default=None, description="end of the work")
    hours: Decimal = Field(ge=0, le=24, description="actual hours worked (CW actual_hours)")
    work_type: str = Field(description="work type, e.g. 'Remote Support', 'Onsite', 'Travel', 'Admin', 'PTO'")
    work_role: str | None = Field(default=None, description="work role the time was billed as")
    work_type_cost_multiplier: Decimal | None = Field(
        default=None, ge=0, description="CW work-type cost multiplier (1.5 for overtime); None = 1"
    )
    absence: bool = Field(
        default=False, description="PTO, holiday or sick time: not work, excluded from available hours"
    )
    billable_option: BillableOption = Field(
        description="billable (invoiced), non_billable (CW DoNotBill: hidden) or no_charge (shown at 0)"
    )
    hours_billed: Decimal = Field(ge=0, description="hours invoiced (CW hours_billed, AT HoursToBill)")
    hours_deducted: Decimal | None = Field(
        default=None, ge=0, description="hours deducted from a block (CW hours_deduct; 1.5x for urgent)"
    )
    hourly_rate: Money | None = Field(default=None, description="rate billed per hour, when billable")
    invoice_id: str | None = Field(default=None, description="invoice the time was billed on")
    notes: str | None = Field(default=None, description="technician's notes")
