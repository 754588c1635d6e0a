"""Facts from the MSP's CRM (ConnectWise opportunities, Autotask opportunities, HaloPSA FOpp*)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from msp_events.money import Money
from msp_events.registry import EventData, event
from msp_events.types.common import require_one_currency

OpportunityStage = Literal["identified", "qualified", "assessment", "proposed", "verbal"]
"""Pipeline stage normalised from the CRM's stage names (Alga PSA's stages; their base win rates
0.05 / 0.15 / 0.35 / 0.50 / 0.80 seed SPO's scoring)."""

LostReason = Literal["no_response", "chose_competitor", "price", "timing", "no_budget", "not_a_fit", "other"]


@event("crm.opportunity.upserted", owner="source", key="opportunity_id", consumers=("spo",), minor=1)
class OpportunityUpserted(EventData):
    """A sales opportunity was created or changed; the payload is its full state.

    SPO scores win probability from stage, source, rating and history, weights the pipeline
    (recurring monthly and one-time value kept apart, never summed), and flags deals going quiet
    (from last_activity_at) or with a past close date. Since 1.1 a prospect's industry and size and
    the products quoted are carried too: the win model learns from them (an existing client's
    industry and size come from ``psa.client.upserted``).
    """

    opportunity_id: str = Field(description="CRM opportunity id (CW Opportunity.id, AT OpportunityID)")
    name: str = Field(description="opportunity name")
    client_id: str | None = Field(default=None, description="existing client; None for a new prospect")
    prospect_name: str | None = Field(default=None, description="company name when not yet a client")
    stage: OpportunityStage = Field(description="normalised pipeline stage")
    status: Literal["open", "won", "lost"] = Field(description="open, or closed won/lost")
    probability: Decimal | None = Field(
        default=None, ge=0, le=100, description="win probability entered in the CRM, percent 0-100"
    )
    expected_close_date: date = Field(description="expected close date (CW expected_close_date)")
    source: str | None = Field(default=None, description="lead source, e.g. 'Referral', 'Website'")
    campaign: str | None = Field(default=None, description="marketing campaign")
    rating: Literal["hot", "warm", "cold"] | None = Field(default=None, description="CW rating")
    opportunity_type: (
        Literal["new_business", "upsell", "cross_sell", "renewal", "project", "other"] | None
    ) = Field(default=None, description="CW opportunity type")
    primary_sales_rep: str | None = Field(default=None, description="member id of the owning sales rep")
    estimated_recurring_monthly: Money | None = Field(
        default=None, description="monthly recurring revenue if won (Alga mrr)"
    )
    recurring_term_months: int | None = Field(
        default=None, ge=1, description="months the recurring revenue is contracted for"
    )
    estimated_recurring_monthly_cost: Money | None = Field(
        default=None, description="monthly cost of delivering the recurring part (CW forecast cost)"
    )
    estimated_one_time: Money | None = Field(
        default=None,
        description="one-time revenue if won: projects, setup fees and hardware (Alga nrr + hardware)",
    )
    created_on: date = Field(description="date the opportunity was entered")
    pipeline_change_date: date | None = Field(default=None, description="last stage change (CW)")
    last_activity_at: AwareDatetime | None = Field(
        default=None, description="last logged activity (call, e-mail, meeting); drives 'going quiet'"
    )
    next_action_due: date | None = Field(default=None, description="due date of the next planned step")
    closed_on: date | None = Field(default=None, description="date won or lost")
    lost_reason: LostReason | None = Field(default=None, description="why it was lost (status lost only)")
    lost_to: str | None = Field(default=None, description="competitor that won, if known")
    updated_at: AwareDatetime | None = Field(
        default=None, description="last change in the CRM (CW _info.lastUpdated); newer wins"
    )
    prospect_industry: str | None = Field(
        default=None, description="(1.1) the prospect's industry as the CRM holds it (CW company market)"
    )
    prospect_employee_count: int | None = Field(
        default=None,
        ge=0,
        description="(1.1) the prospect's number of employees (CW company numberOfEmployees)",
    )
    products: list[str] | None = Field(
        default=None,
        description="(1.1) catalog products or service categories quoted on the opportunity (CW forecast "
        "items' catalog ids, Alga opportunity products); None when the CRM does not say",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.client_id is None and not self.prospect_name:
            raise ValueError("an opportunity needs client_id or prospect_name")
        require_one_currency(
            self.estimated_recurring_monthly, self.estimated_recurring_monthly_cost, self.estimated_one_time
        )
        return self
