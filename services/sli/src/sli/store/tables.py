"""SLI's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class SliTable(SQLModel, registry=registry()):
    pass


METADATA = SliTable.metadata


class Subscription(SliTable, table=True):
    __tablename__ = "subscriptions"

    subscription_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    tenant_id: str | None = Field(default=None, max_length=64)
    vendor: str = Field(max_length=128)
    distributor: str | None = Field(default=None, max_length=128)
    sku_id: str = Field(max_length=64)
    sku_part_number: str | None = Field(default=None, max_length=128)
    product_id: str | None = Field(default=None, max_length=64)
    """Distributor product id: PSA additions may name the SKU by it (``vendor_sku``)."""
    product_name: str = Field(max_length=255)
    quantity: int
    consumed_units: int | None = None
    unit_cost_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    """None when the distributor export did not carry the MSP's cost (money unknown)."""
    unit_cost_currency: str | None = Field(default=None, max_length=3)
    unit_price_amount: Decimal = Field(sa_type=ExactNumeric(18, 4))
    unit_price_currency: str = Field(max_length=3)
    billing_term: str = Field(max_length=16)
    commitment_term_months: int | None = None
    commitment_end_date: date | None = None
    auto_renew: bool | None = None
    status: str = Field(max_length=16)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


# -- the assigned side: tenant users and the licences they hold (migration sli_0003) ----------------


class SeatUser(SliTable, table=True):
    """A tenant user's latest snapshot (newest ``observed_at`` wins, ties by digest)."""

    __tablename__ = "seat_users"

    user_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    user_principal_name: str = Field(max_length=255)
    account_enabled: bool
    deleted: bool
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    idle_days: int | None = None
    """Whole days from the last sign-in to the read (None: never signed in): inactivity is judged
    on what the read knows, so a stale monthly read does not make everyone look idle."""
    observed_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class SeatSnapshot(SliTable, table=True):
    """Every snapshot time of a user and the SKUs it held then: when a seat was provisioned."""

    __tablename__ = "seat_snapshots"

    user_id: str = Field(primary_key=True, max_length=64)
    observed_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    sku_ids: str = Field(sa_type=Text)
    """Space-separated SKU ids held at ``observed_at`` (empty: unlicensed)."""


class SeatAssignment(SliTable, table=True):
    """A licence the user holds in its latest snapshot, and since when without a break."""

    __tablename__ = "seat_assignments"

    user_id: str = Field(primary_key=True, max_length=64)
    sku_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    sku_part_number: str | None = Field(default=None, max_length=128)
    held_since: datetime = Field(sa_type=UtcDateTime)


class TenantBaseline(SliTable, table=True):
    """The first tenant read of a client: seats seen then were provisioned at an unknown earlier
    time, so only seats first seen later can be in the provisioning grace."""

    __tablename__ = "tenant_baselines"

    client_id: str = Field(primary_key=True, max_length=64)
    first_observed_at: datetime = Field(sa_type=UtcDateTime)


# -- installed: RMM software inventory --------------------------------------------------------------


class Device(SliTable, table=True):
    __tablename__ = "devices"

    device_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    hostname: str = Field(max_length=255)
    observed_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class DeviceSoftware(SliTable, table=True):
    """A licensed application on a device, by the key lines match it on: the SKU part number the
    settings map the application to, else its lower-cased name (matched to the product name)."""

    __tablename__ = "device_software"

    device_id: str = Field(primary_key=True, max_length=64)
    product_key: str = Field(primary_key=True, max_length=255)
    client_id: str = Field(max_length=64, index=True)


# -- billed: PSA agreements and their licence additions -----------------------------------------------


class Agreement(SliTable, table=True):
    __tablename__ = "agreements"

    agreement_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    cancelled: bool
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class BillingLine(SliTable, table=True):
    """A billable addition naming a vendor SKU, with its price per seat per month."""

    __tablename__ = "billing_lines"

    agreement_id: str = Field(primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    client_id: str = Field(max_length=64, index=True)
    vendor_sku: str = Field(max_length=128)
    quantity: Decimal = Field(sa_type=ExactNumeric(18, 4))
    monthly_unit_price: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    effective_date: date | None = None
    cancelled_date: date | None = None


class Invoice(SliTable, table=True):
    """An invoice's latest version (re-sent with the same id when adjusted)."""

    __tablename__ = "invoices"

    invoice_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class InvoicedLicence(SliTable, table=True):
    """A licence line as invoiced: seats really charged for a period (credits negative)."""

    __tablename__ = "invoiced_licences"

    invoice_id: str = Field(primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    client_id: str = Field(max_length=64, index=True)
    vendor_sku: str = Field(max_length=128)
    agreement_id: str | None = Field(default=None, max_length=64)
    quantity: Decimal = Field(sa_type=ExactNumeric(18, 4))
    unit_price: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    period_start: date
    period_end: date


# -- derived: the reconciliation, findings, renewals ------------------------------------------------


class DirtyClient(SliTable, table=True):
    """Clients whose facts changed since their last reconciliation."""

    __tablename__ = "dirty_clients"

    client_id: str = Field(primary_key=True, max_length=64)


class ReconciliationState(SliTable, table=True):
    """The day of the last full reconciliation: inactivity depends on the date, so a new day
    re-reconciles every client."""

    __tablename__ = "reconciliation_state"

    name: str = Field(primary_key=True, max_length=16)
    last_day: date


class LicenceLine(SliTable, table=True):
    """The three-way table: one client x SKU, as the last reconciliation aggregated it."""

    __tablename__ = "licence_lines"

    client_id: str = Field(primary_key=True, max_length=64)
    sku_id: str = Field(primary_key=True, max_length=128)
    sku_part_number: str | None = Field(default=None, max_length=128)
    product_name: str = Field(max_length=255)
    subscription_id: str | None = Field(default=None, max_length=64)
    subscription_status: str | None = Field(default=None, max_length=16)
    subscriptions: int
    purchased: int | None = None
    commitment_end_date: date | None = None
    auto_renew: bool | None = None
    unit_cost_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    unit_cost_currency: str | None = Field(default=None, max_length=3)
    list_price_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    list_price_currency: str | None = Field(default=None, max_length=3)
    billed: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    billed_price_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    billed_price_currency: str | None = Field(default=None, max_length=3)
    agreement_id: str | None = Field(default=None, max_length=64)
    assigned: int
    engaged: int
    idle: int
    installed: int
    tenant_read: bool
    """The client's tenant was read (users or consumed units): assignment and use are known."""
    line_class: str = Field(default="properly_licensed", max_length=32)
    reconciled_on: date


class Finding(SliTable, table=True):
    """A finding as last published: open until its gap closes, then resolved (kept for savings)."""

    __tablename__ = "findings"

    finding_id: str = Field(primary_key=True, max_length=36)
    client_id: str = Field(max_length=64, index=True)
    sku_id: str = Field(max_length=128)
    sku_part_number: str | None = Field(default=None, max_length=128)
    product_name: str = Field(max_length=255)
    finding_class: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    nature: str = Field(max_length=16)
    status: str = Field(max_length=16)
    seats: int
    monthly_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    currency: str | None = Field(default=None, max_length=3)
    action: str = Field(max_length=32)
    action_text: str = Field(sa_type=Text)
    inactive_users: str = Field(sa_type=Text)
    """Sign-in names, one per line."""
    subscription_id: str | None = Field(default=None, max_length=64)
    agreement_id: str | None = Field(default=None, max_length=64)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class RenewalReview(SliTable, table=True):
    """A committed subscription inside its 90-day review window, right-sized."""

    __tablename__ = "renewal_reviews"

    subscription_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    sku_id: str = Field(max_length=128)
    product_name: str = Field(max_length=255)
    renewal_date: date
    reminder_days: int
    quantity: int
    engaged: int
    recommended: int
    change: int
    monthly_saving: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    currency: str | None = Field(default=None, max_length=3)
    action_text: str = Field(sa_type=Text)
    reviewed_on: date
