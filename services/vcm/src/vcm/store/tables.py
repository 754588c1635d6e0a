"""VCM's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class VcmTable(SQLModel, registry=registry()):
    pass


METADATA = VcmTable.metadata


class ContractDocument(VcmTable, table=True):
    """One row per distinct content; the file itself is not stored."""

    __tablename__ = "contract_documents"

    sha256: str = Field(primary_key=True, max_length=64)
    size_bytes: int
    document_id: str = Field(max_length=128, index=True)
    contract_id: str | None = Field(default=None, max_length=64)
    document_kind: str | None = Field(default=None, max_length=32)
    vendor_name: str | None = Field(default=None, max_length=255)
    client_id: str | None = Field(default=None, max_length=64, index=True)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    received_at: datetime = Field(sa_type=UtcDateTime)
    uploaded_by: str | None = Field(default=None, max_length=255)


class ContractRow(VcmTable, table=True):
    """One vendor contract in the register: the terms as extracted and corrected, and its state."""

    __tablename__ = "contracts"

    contract_id: str = Field(primary_key=True, max_length=64)
    document_sha256: str = Field(max_length=64)
    document_id: str = Field(max_length=128)
    vendor_name: str | None = Field(default=None, max_length=255, index=True)
    client_id: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=128)
    owner: str | None = Field(default=None, max_length=255)
    file_name: str = Field(max_length=255)
    state: str = Field(max_length=20)
    read_status: str = Field(max_length=20)
    read_detail: str | None = Field(default=None, max_length=1000)
    pages: int = 0
    terms_json: str = Field(sa_type=Text)
    needs_review: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    """The document's text as read (evidence offsets index it; exported with test cases)."""
    agreement_date: date | None = None
    effective_date: date | None = None
    expiration_date: date | None = Field(default=None, index=True)
    perpetual: bool = False
    auto_renew: bool | None = None
    renewal_value: int | None = None
    renewal_unit: str | None = Field(default=None, max_length=10)
    notice_value: int | None = None
    notice_unit: str | None = Field(default=None, max_length=10)
    annual_value: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 2))
    currency: str | None = Field(default=None, max_length=3)
    price_cap_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric(9, 4))
    client_agreement_end: date | None = None
    """Set by hand (PATCH): the fallback when no PSA agreement is linked (``client_agreements``)."""
    client_agreement_id: str | None = Field(default=None, max_length=64)
    """The PSA client agreement this contract backs (PATCH); without it, the client's only one."""
    terminated_on: date | None = None
    """The day a terminated contract ends (reminders stop at once: there is no renewal to decide)."""
    termination_reason: str | None = Field(default=None, max_length=2000)
    received_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ContractCorrection(VcmTable, table=True):
    """Every confirmation or correction of an extracted term: the audit trail, and test cases."""

    __tablename__ = "contract_corrections"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=64, index=True)
    field_name: str = Field(max_length=64)
    old_json: str = Field(sa_type=Text)
    new_json: str = Field(sa_type=Text)
    confirmed: bool
    corrected_by: str = Field(max_length=255)
    comment: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UtcDateTime)


class ContractApproval(VcmTable, table=True):
    """Every approval-workflow step (approve, reject, correction re-opening a draft)."""

    __tablename__ = "contract_approvals"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(max_length=64, index=True)
    action: str = Field(max_length=20)
    actor: str = Field(max_length=255)
    roles: str = Field(max_length=255)
    from_state: str = Field(max_length=20)
    to_state: str = Field(max_length=20)
    comment: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UtcDateTime)


class RenewalReminder(VcmTable, table=True):
    """A reminder window reached for one notice deadline: fired once, or skipped (never to fire)."""

    __tablename__ = "renewal_reminders"

    contract_id: str = Field(primary_key=True, max_length=64)
    notice_deadline: date = Field(primary_key=True)
    offset_days: int = Field(primary_key=True)
    term_end: date
    on_day: date
    outcome: str = Field(max_length=20)
    """published or skipped (a tighter window fired); "held" (an unknown annual value, before
    `contract.renewal.due` 2.0 made the value optional) is found only in older rows."""


class RenewalCase(VcmTable, table=True):
    """The renewal decision for one term: opened by the first reminder of its notice deadline."""

    __tablename__ = "renewal_cases"

    contract_id: str = Field(primary_key=True, max_length=64)
    notice_deadline: date = Field(primary_key=True)
    term_end: date
    opened_on: date
    status: str = Field(max_length=20)
    annual_value: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 2))
    currency: str | None = Field(default=None, max_length=3)
    decision: str | None = Field(default=None, max_length=20)


# -- what the other agents say about a vendor (the scorecard's signals) -------------------------
# Each keeps the latest report per id by (event time, digest), so any arrival order agrees.


class VendorAnomaly(VcmTable, table=True):
    """DSA's latest report of a spend anomaly that names its vendor (``spend.anomaly.detected``)."""

    __tablename__ = "vendor_anomalies"

    anomaly_id: str = Field(primary_key=True, max_length=128)
    vendor: str = Field(max_length=255, index=True)
    vendor_key: str = Field(max_length=255, index=True)
    status: str = Field(max_length=20)
    impact: Decimal = Field(sa_type=ExactNumeric(18, 2))
    currency: str = Field(max_length=3)
    period_end: date
    reported_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class LicenceSubscription(VcmTable, table=True):
    """Which vendor a distributor subscription, and so its SKU, belongs to
    (``licensing.subscription.upserted``)."""

    __tablename__ = "licence_subscriptions"

    subscription_id: str = Field(primary_key=True, max_length=128)
    sku_id: str = Field(max_length=128, index=True)
    vendor: str = Field(max_length=255)
    reported_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class LicenceFinding(VcmTable, table=True):
    """SLI's latest report of a licence finding (``license.compliance.violation``); its vendor is
    read through its subscription or SKU when the scorecard asks, so the facts may come in any order."""

    __tablename__ = "licence_findings"

    violation_id: str = Field(primary_key=True, max_length=128)
    subscription_id: str | None = Field(default=None, max_length=128)
    sku_id: str = Field(max_length=128)
    status: str = Field(max_length=20)
    seats_affected: int
    monthly_exposure: Decimal = Field(sa_type=ExactNumeric(18, 2))
    currency: str = Field(max_length=3)
    reported_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class ClientAgreement(VcmTable, table=True):
    """The PSA's latest state of a client agreement (``psa.agreement.upserted``): when the client
    side a vendor contract backs ends (its cancellation date, else its end date; None: evergreen)."""

    __tablename__ = "client_agreements"

    agreement_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    end_date: date | None = None
    cancelled: bool = False
    cancelled_date: date | None = None
    reported_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class RenewalSpend(VcmTable, table=True):
    """DSA's latest spend analysis of a contract's renewal (``spend.vendor.analyzed``): the price
    change observed in the spend, against the cap the contract states."""

    __tablename__ = "renewal_spend"

    contract_id: str = Field(primary_key=True, max_length=64)
    vendor_key: str = Field(max_length=255, index=True)
    window_end: date
    price_change_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric(9, 2))
    spend_12m: Decimal = Field(sa_type=ExactNumeric(18, 2))
    currency: str = Field(max_length=3)
    recommendation: str = Field(max_length=20)
    reported_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
