"""CPI's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class CpiTable(SQLModel, registry=registry()):
    pass


METADATA = CpiTable.metadata


class Client(CpiTable, table=True):
    __tablename__ = "clients"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    status: str = Field(max_length=32)
    tier: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, max_length=3)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


# -- the ledger's facts (migration cpi_0003_ledger) ------------------------------------------------
# Months are 'YYYY-MM' strings (they sort and compare as months on every backend); "no agreement"
# is the empty string, so it can be part of a primary key.


class Agreement(CpiTable, table=True):
    __tablename__ = "agreements"

    agreement_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    agreement_type: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    bill_amount: Decimal = Field(sa_type=ExactNumeric)
    billing_cycle: str = Field(max_length=16)
    monthly_fee: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    included_hours: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    monthly_included_hours: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    fixed_fee: bool
    """Labour is covered by the fee: its time value is written down to the monthly fee."""
    start_date: date
    end_date: date | None = None
    start_month: str = Field(max_length=7)
    end_month: str | None = Field(default=None, max_length=7)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class AgreementAddition(CpiTable, table=True):
    __tablename__ = "agreement_additions"

    agreement_id: str = Field(primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    product_id: str = Field(max_length=128)
    vendor_sku: str | None = Field(default=None, max_length=128)
    quantity: Decimal = Field(sa_type=ExactNumeric)
    monthly_price: Decimal = Field(sa_type=ExactNumeric)
    monthly_cost: Decimal = Field(sa_type=ExactNumeric)
    currency: str = Field(max_length=3)
    from_month: str = Field(max_length=7)
    to_month: str | None = Field(default=None, max_length=7)


class Technician(CpiTable, table=True):
    __tablename__ = "technicians"

    technician_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class TechnicianRate(CpiTable, table=True):
    """Non-overlapping cost-rate periods (normalised from the PSA's list, latest start wins)."""

    __tablename__ = "technician_rates"

    technician_id: str = Field(primary_key=True, max_length=64)
    valid_from: date = Field(primary_key=True)
    valid_to: date | None = None
    hourly_cost: Decimal = Field(sa_type=ExactNumeric)
    currency: str = Field(max_length=3)


class TimeEntry(CpiTable, table=True):
    __tablename__ = "time_entries"
    __table_args__ = (
        Index("ix_time_entries_key", "client_id", "agreement_id", "month"),
        Index("ix_time_entries_technician", "technician_id", "work_date"),
    )

    time_entry_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64)
    technician_id: str = Field(max_length=64)
    agreement_id: str = Field(max_length=64)
    work_date: date
    month: str = Field(max_length=7)
    hours: Decimal = Field(sa_type=ExactNumeric)
    hours_deducted: Decimal = Field(sa_type=ExactNumeric)
    multiplier: Decimal = Field(sa_type=ExactNumeric)
    time_value: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    """hours x the hourly rate billed on the entry (the value the fixed-fee write-down caps)."""
    value_currency: str | None = Field(default=None, max_length=3)
    absence: bool
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class Invoice(CpiTable, table=True):
    __tablename__ = "invoices"

    invoice_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    currency: str = Field(max_length=3)
    invoice_date: date
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class InvoiceLineMonth(CpiTable, table=True):
    """One invoice line's share of one month of its service period."""

    __tablename__ = "invoice_lines"
    __table_args__ = (Index("ix_invoice_lines_key", "client_id", "agreement_id", "month"),)

    invoice_id: str = Field(primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: str = Field(primary_key=True, max_length=7)
    client_id: str = Field(max_length=64)
    agreement_id: str = Field(max_length=64)
    line_type: str = Field(max_length=16)
    vendor_sku: str | None = Field(default=None, max_length=128)
    product_id: str | None = Field(default=None, max_length=128)
    """The PSA product id as ``domain.costing.product_key`` compares it (matched to additions)."""
    amount: Decimal = Field(sa_type=ExactNumeric)
    cost: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    currency: str = Field(max_length=3)


class SubscriptionVersion(CpiTable, table=True):
    """The state of a subscription as last seen in ``observed_month``; it applies from
    ``from_month`` to ``to_month`` (the month before the next version; None = open)."""

    __tablename__ = "subscriptions"

    subscription_id: str = Field(primary_key=True, max_length=64)
    observed_month: str = Field(primary_key=True, max_length=7)
    client_id: str = Field(max_length=64, index=True)
    sku_id: str = Field(max_length=128)
    quantity: int
    monthly_cost: Decimal = Field(sa_type=ExactNumeric)
    monthly_price: Decimal = Field(sa_type=ExactNumeric)
    currency: str = Field(max_length=3)
    costed: bool
    """The distributor charges for it in this state (active or pending)."""
    from_month: str = Field(max_length=7)
    to_month: str | None = Field(default=None, max_length=7)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class LicenceLeakage(CpiTable, table=True):
    """A licence-compliance finding's monthly exposure, as last reported in a month."""

    __tablename__ = "licence_leakage"

    violation_id: str = Field(primary_key=True, max_length=128)
    month: str = Field(primary_key=True, max_length=7)
    client_id: str = Field(max_length=64, index=True)
    agreement_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    sku_id: str = Field(max_length=128)
    seats_affected: int
    exposure: Decimal = Field(sa_type=ExactNumeric)
    currency: str = Field(max_length=3)
    summary: str = Field(sa_type=Text)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class LedgerMonth(CpiTable, table=True):
    """The month calendar recurring lines (additions, subscriptions) are spread over."""

    __tablename__ = "ledger_months"

    month: str = Field(primary_key=True, max_length=7)
    first_day: date
    last_day: date


class LedgerDirty(CpiTable, table=True):
    """Keys to recompute, tagged with the message that touched them (emptied by the recompute)."""

    __tablename__ = "ledger_dirty"

    token: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(primary_key=True, max_length=64)
    agreement_id: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)


class LedgerRow(CpiTable, table=True):
    """The materialised month ledger: sums per client x agreement x month, in the client's currency."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_month", "month", "client_id"),)

    client_id: str = Field(primary_key=True, max_length=64)
    agreement_id: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)
    currency: str = Field(max_length=3)
    revenue_fee: Decimal = Field(sa_type=ExactNumeric)
    revenue_labour: Decimal = Field(sa_type=ExactNumeric)
    revenue_product: Decimal = Field(sa_type=ExactNumeric)
    revenue_licence: Decimal = Field(sa_type=ExactNumeric)
    revenue_other: Decimal = Field(sa_type=ExactNumeric)
    cost_labour: Decimal = Field(sa_type=ExactNumeric)
    cost_addition: Decimal = Field(sa_type=ExactNumeric)
    cost_licence: Decimal = Field(sa_type=ExactNumeric)
    cost_product: Decimal = Field(sa_type=ExactNumeric)
    cost_other: Decimal = Field(sa_type=ExactNumeric)
    labour_hours: Decimal = Field(sa_type=ExactNumeric)
    prepaid_hours: Decimal = Field(sa_type=ExactNumeric)
    time_value: Decimal = Field(sa_type=ExactNumeric)
    uncosted_hours: Decimal = Field(sa_type=ExactNumeric)
    unlinked_hours: Decimal = Field(sa_type=ExactNumeric)
    uncosted_revenue: Decimal = Field(sa_type=ExactNumeric)
    currency_mismatches: int
    leakage: Decimal = Field(sa_type=ExactNumeric)
    leakage_findings: int
    lines_matched_by_product: int
    """Product/licence invoice line months whose cost is an addition's, matched by product id only."""
    licence_cost_unmatched: Decimal = Field(sa_type=ExactNumeric)
    """Licence cost taken from invoice lines that no addition or subscription matches."""


class MarginJudgement(CpiTable, table=True):
    """The band a closed client month was last judged in (published or not)."""

    __tablename__ = "margin_judgements"

    client_id: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)
    band: str = Field(max_length=16)
    margin_pct: Decimal = Field(sa_type=ExactNumeric)
    published: bool
    judged_at: datetime = Field(sa_type=UtcDateTime)
    published_band: str | None = Field(default=None, max_length=16)
    """What was last published for the month (migration ``cpi_0005``): a re-judgement is corrected
    against what consumers saw, not against a quiet re-judgement since."""
    published_margin_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric)
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """The event time of that publication: a correction is never dated earlier."""


class LedgerClose(CpiTable, table=True):
    __tablename__ = "ledger_close"

    name: str = Field(primary_key=True, max_length=32)
    last_closed_month: str | None = Field(default=None, max_length=7)
