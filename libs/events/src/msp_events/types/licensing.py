"""Facts about software licences: distributor subscriptions (Pax8, joined with Microsoft Graph
``subscribedSkus``) and per-user licence assignment and sign-in activity (Microsoft Graph users)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.json_schema import SkipJsonSchema

from msp_events.money import Money
from msp_events.registry import EventData, event


@event(
    "licensing.subscription.upserted",
    owner="source",
    key="subscription_id",
    consumers=("sli", "cpi", "vcm"),
    planned=("dsa",),
    minor=1,
)
class SubscriptionUpserted(EventData):
    """A client's licence subscription at the distributor changed; the payload is its full state.

    This is the "bought" side of SLI's three-way check (bought at the distributor vs assigned in
    the tenant vs billed in the PSA). CPI needs unit_cost as the licence cost of margin, DSA as
    spend, and VCM the commitment end date: under Microsoft NCE seats can only be reduced within
    7 days of purchase or renewal, so the end date is when a reduction can take effect.
    """

    subscription_id: str = Field(description="distributor subscription id (Pax8 Subscription.id)")
    client_id: str = Field(description="PSA client the subscription is mapped to (Pax8 companyId → PSA)")
    tenant_id: str | None = Field(default=None, description="Microsoft Entra tenant id of the client")
    vendor: str = Field(description="software vendor, e.g. 'Microsoft'")
    distributor: str | None = Field(default=None, description="distributor, e.g. 'Pax8'; None if direct")
    product_id: str | None = Field(default=None, description="distributor product id (Pax8 productId)")
    sku_id: str = Field(description="vendor SKU id (Graph subscribedSku.skuId GUID)")
    sku_part_number: str | None = Field(
        default=None, description="vendor SKU code (Graph skuPartNumber, e.g. 'SPB' = Business Premium)"
    )
    product_name: str = Field(description="product name, e.g. 'Microsoft 365 Business Premium'")
    parent_subscription_id: str | None = Field(default=None, description="base subscription of an add-on")
    quantity: int = Field(ge=0, description="seats purchased (Pax8 quantity = Graph prepaidUnits.enabled)")
    consumed_units: int | None = Field(
        default=None, ge=0, description="seats assigned in the tenant at sync time (Graph consumedUnits)"
    )
    unit_cost: Money | SkipJsonSchema[None] = Field(
        default=None,
        description="MSP's cost per seat per month from the distributor. Since 1.1 it may be absent: "
        "the cost is not known (Pax8's subscription list may omit partnerCost and no price list gave "
        "it); the seats still count, the cost is unknown, never zero. Absent, never null",
    )
    unit_price: Money = Field(description="price per seat per month the client is billed (PSA/price book)")
    billing_term: Literal["monthly", "annual"] = Field(description="how often the distributor bills")
    commitment_term_months: int | None = Field(
        default=None, ge=1, description="commitment length: 1 (monthly NCE, +20 % price), 12 or 36"
    )
    start_date: date | None = Field(default=None, description="subscription start")
    commitment_end_date: date | None = Field(
        default=None, description="end of the current commitment term (Pax8 commitment end / NCE renewal)"
    )
    auto_renew: bool | None = Field(default=None, description="renews automatically at commitment_end_date")
    status: Literal["active", "pending", "trial", "suspended", "cancelled"] = Field(
        description="distributor status, normalised (Pax8 PendingManual/PendingAutomated → pending)"
    )
    capability_status: Literal["enabled", "warning", "suspended", "deleted", "locked_out"] | None = Field(
        default=None, description="tenant-side SKU state (Graph capabilityStatus)"
    )
    updated_at: AwareDatetime | None = Field(default=None, description="last sync from the distributor")

    @model_serializer(mode="wrap")
    def _omit_unknown_cost(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """An unknown cost is left out of the payload, not sent as null: the schema says a present
        ``unit_cost`` is a Money (so a 1.0 consumer, which requires it, dead-letters the message
        instead of reading a cost that is not there)."""
        data: dict[str, Any] = handler(self)
        if data.get("unit_cost") is None:
            data.pop("unit_cost", None)
        return data


class AssignedLicence(BaseModel):
    """One licence assigned to a user (Graph user.assignedLicenses item)."""

    model_config = ConfigDict(frozen=True)

    sku_id: str = Field(description="SKU GUID (matches licensing.subscription.upserted sku_id)")
    sku_part_number: str | None = Field(default=None, description="SKU code, e.g. 'O365_BUSINESS_PREMIUM'")


@event(
    "licensing.seat.activity",
    owner="source",
    key="user_id",
    consumers=("sli",),
    planned=("dsa",),
    fact_dates=("observed_at",),
)
class SeatActivity(EventData):
    """A snapshot of one tenant user's licences and sign-in activity (Microsoft Graph ``users``).

    One event per user per sync carries every licence the user holds, so a licence removed since
    the last snapshot is visible as missing. SLI counts assigned seats per SKU and finds
    reclaimable ones (disabled accounts, no sign-in for 60-90 days, deleted users); DSA charges
    licence cost back to the user's department.
    """

    user_id: str = Field(description="Entra user object id (GUID, unique across tenants)")
    client_id: str = Field(description="PSA client the tenant belongs to")
    tenant_id: str | None = Field(default=None, description="Microsoft Entra tenant id")
    user_principal_name: str = Field(description="sign-in name, e.g. jane@contoso.com")
    display_name: str | None = Field(default=None, description="user's display name")
    department: str | None = Field(default=None, description="Entra department attribute, for chargeback")
    user_type: Literal["member", "guest"] | None = Field(default=None, description="Entra userType")
    account_enabled: bool = Field(description="account can sign in (Graph accountEnabled)")
    deleted: bool = Field(default=False, description="user was deleted; every seat it held is now free")
    assigned_licences: list[AssignedLicence] = Field(
        default_factory=list, description="all licences assigned at observed_at; empty = unlicensed"
    )
    last_sign_in_at: AwareDatetime | None = Field(
        default=None,
        description="last successful sign-in (signInActivity.lastSuccessfulSignInDateTime); None = never "
        "or not readable (needs AuditLog.Read.All)",
    )
    observed_at: AwareDatetime = Field(description="when the tenant was read")
