"""Facts from the MSP's billing (PSA invoicing or the accounting package): invoices and payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from msp_events.money import CurrencyCode, Money
from msp_events.registry import EventData, event


class InvoiceLine(BaseModel):
    """One invoice line, typed so revenue can be split into recurring fee, labour, product and licence."""

    model_config = ConfigDict(frozen=True)

    line_type: Literal["agreement_fee", "labour", "product", "licence", "expense", "other"] = Field(
        description="what the line bills: agreement fee/addition, labour hours, hardware/product, "
        "resold licence, reimbursed expense, or anything else"
    )
    agreement_id: str | None = Field(default=None, description="agreement the line bills, if any")
    product_id: str | None = Field(default=None, description="PSA catalog product id, if any")
    vendor_sku: str | None = Field(
        default=None, description="vendor SKU of a licence line (Microsoft skuId / Pax8 productId)"
    )
    description: str = Field(description="line text as printed")
    quantity: Decimal = Field(description="units or hours billed; negative for credits")
    unit_price: Money = Field(description="price per unit")
    unit_cost: Money | None = Field(default=None, description="MSP's cost per unit when known (products)")
    amount: Money = Field(description="line total before tax (normally quantity * unit_price)")
    period_start: date | None = Field(default=None, description="first day of the service period billed")
    period_end: date | None = Field(default=None, description="last day of the service period billed")


@event(
    "billing.invoice.issued",
    owner="source",
    key="invoice_id",
    consumers=("cpi", "sli"),
    planned=("spo",),
    fact_dates=("invoice_date",),
)
class InvoiceIssued(EventData):
    """An invoice was issued to a client (re-sent with the same id if it is adjusted).

    The invoice is the revenue truth: CPI books it against the period billed (BrightGauge-style
    ``sum(invoice amount)`` per client), SPO reads T&M totals to propose managed-services
    conversions, SLI compares billed licence quantities with purchased and assigned seats.
    """

    invoice_id: str = Field(description="invoice id in the billing system")
    invoice_number: str | None = Field(default=None, description="human invoice number")
    client_id: str = Field(description="client invoiced")
    invoice_date: date = Field(description="date of issue")
    due_date: date = Field(description="payment due date")
    currency: CurrencyCode = Field(description="currency of every amount on the invoice")
    lines: list[InvoiceLine] = Field(min_length=1, description="invoice lines")
    tax: Money | None = Field(default=None, description="total tax")
    total: Money = Field(description="amount due: sum of line amounts plus tax")
    issued_at: AwareDatetime | None = Field(default=None, description="when it was posted/sent")

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        amounts = [self.total, self.tax]
        for line in self.lines:
            amounts += [line.unit_price, line.unit_cost, line.amount]
        bad = {m.currency for m in amounts if m is not None} - {self.currency}
        if bad:
            raise ValueError(f"invoice in {self.currency} has amounts in {sorted(bad)}")
        if self.due_date < self.invoice_date:
            raise ValueError("due_date is before invoice_date")
        return self


@event(
    "billing.payment.received",
    owner="source",
    key="payment_id",
    consumers=("cpi",),
    fact_dates=("received_on",),
)
class PaymentReceived(EventData):
    """A client payment was received against an invoice.

    CPI uses payment timing (days to pay, overdue balance) as the payment-health part of client
    health and to tell billed revenue from collected cash.
    """

    payment_id: str = Field(description="payment id in the billing system")
    invoice_id: str = Field(description="invoice the payment is applied to")
    client_id: str = Field(description="client who paid")
    received_on: date = Field(description="date the money was received")
    amount: Money = Field(description="amount applied to the invoice")
    method: Literal["ach", "card", "check", "wire", "other"] | None = Field(
        default=None, description="payment method"
    )
