"""Invoices on the first of each month and the payments that follow (some late).

An invoice bills the month's fixed fee and licence seats in advance and the previous month's
time-and-materials hours and block-of-time purchases in arrears (the CW/Autotask norm). Tax is
the client's sales-tax rate on the lines; ``total`` is lines plus tax, all in cents. Most clients
pay in 12-27 days on net-30 terms; about a fifth pay late (38-65 days), and a churning client's
payments slip further as dissatisfaction grows (payment health is a churn signal).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.billing import InvoiceIssued, InvoiceLine, PaymentReceived

from msp_sim.agreements import billed_quantity, fee_on
from msp_sim.context import MonthContext
from msp_sim.psa import invoice_id
from msp_sim.rng import cents, stream
from msp_sim.timeline import local_to_utc, month_end, period

BILLING_SOURCE = "billing.quickbooks"
PAYMENT_TERMS_DAYS = 30


def generate(ctx: MonthContext) -> None:
    p = ctx.params
    currency = p.currency
    first, last = ctx.first, month_end(ctx.first)
    previous = (first - timedelta(days=1)).replace(day=1)
    previous_period = period(previous)

    def money(x: Decimal) -> Money:
        return Money(amount=x, currency=currency)

    for client in ctx.world.clients:
        cid = client.client_id
        agreement = client.agreement
        active = ctx.active(cid, first)
        lines: list[InvoiceLine] = []
        if active and agreement.agreement_type == "managed_services":
            fee = fee_on(p.seed, ctx.plan, client, p.start, first)
            lines.append(
                InvoiceLine(
                    line_type="agreement_fee",
                    agreement_id=agreement.agreement_id,
                    description=f"{agreement.name} - {first:%B %Y}",
                    quantity=Decimal(1),
                    unit_price=money(fee),
                    amount=money(fee),
                    period_start=first,
                    period_end=last,
                )
            )
        if active:
            for sub in client.subscriptions:
                quantity = billed_quantity(ctx.plan, sub, first)
                lines.append(
                    InvoiceLine(
                        line_type="licence",
                        agreement_id=agreement.agreement_id,
                        product_id=f"M365-{sub.sku.part_number}",
                        vendor_sku=sub.sku.sku_id,
                        description=sub.sku.product_name,
                        quantity=Decimal(quantity),
                        unit_price=money(sub.unit_price),
                        unit_cost=money(sub.unit_cost),
                        amount=money(cents(sub.unit_price * quantity)),
                        period_start=first,
                        period_end=last,
                    )
                )
        tm_hours = ctx.state.tm_unbilled.pop((cid, previous_period), Decimal(0))
        if tm_hours and ctx.index > 0:
            lines.append(
                InvoiceLine(
                    line_type="labour",
                    agreement_id=agreement.agreement_id,
                    description=f"Time and materials - {previous:%B %Y}",
                    quantity=tm_hours,
                    unit_price=money(agreement.hourly_rate),
                    amount=money(cents(tm_hours * agreement.hourly_rate)),
                    period_start=previous,
                    period_end=first - timedelta(days=1),
                )
            )
        blocks = ctx.state.block_purchases.pop((cid, previous_period), 0)
        if blocks and ctx.index > 0 and agreement.included_hours is not None:
            lines.append(
                InvoiceLine(
                    line_type="agreement_fee",
                    agreement_id=agreement.agreement_id,
                    description=f"Block of time - {agreement.included_hours} hours",
                    quantity=Decimal(blocks),
                    unit_price=money(agreement.bill_amount),
                    amount=money(cents(agreement.bill_amount * blocks)),
                )
            )
        if not lines:
            continue
        subtotal = sum((line.amount.amount for line in lines), Decimal(0))
        tax = cents(subtotal * client.tax_rate)
        number = invoice_id(client, first)
        issued_at = local_to_utc(first, 6)
        ctx.emit(
            InvoiceIssued(
                invoice_id=number,
                invoice_number=number.removeprefix("INV-"),
                client_id=cid,
                invoice_date=first,
                due_date=first + timedelta(days=PAYMENT_TERMS_DAYS),
                currency=currency,
                lines=lines,
                tax=money(tax),
                total=money(subtotal + tax),
                issued_at=issued_at,
            ),
            source=BILLING_SOURCE,
            time=issued_at,
        )
        ctx.observed.client(cid, first).invoiced += subtotal
        _payment(
            ctx,
            client.client_id,
            number,
            first,
            subtotal + tax,
            client.days_to_pay_mean,
            client.late_payer,
            client.payment_method,
        )


def _payment(
    ctx: MonthContext,
    cid: str,
    number: str,
    invoiced: date,
    amount: Decimal,
    mean: float,
    late: bool,
    method: str,
) -> None:
    rng = stream(ctx.seed, "payment", number)
    days = rng.gauss(mean, 9.0 if late else 4.0)
    churn = ctx.plan.churn.get(cid)
    if churn is not None:
        days += churn.extra_days_to_pay * churn.dissatisfaction(invoiced)
    days_to_pay = max(1, round(days))
    received = invoiced + timedelta(days=days_to_pay)
    if received > ctx.params.end:
        return
    ctx.observed.client(cid, invoiced).days_to_pay.append(days_to_pay)
    ctx.emit(
        PaymentReceived(
            payment_id=f"PAY-{number.removeprefix('INV-')}",
            invoice_id=number,
            client_id=cid,
            received_on=received,
            amount=Money(amount=amount, currency=ctx.params.currency),
            method=method,
        ),
        source=BILLING_SOURCE,
        time=local_to_utc(received, 10, rng.randint(0, 59)),
    )
