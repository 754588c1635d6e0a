"""A proposal assembled from a template: line items, recurring and one-time totals, tax.

The template (``spo/templates/proposal.json``) says, per kind of opportunity, which lines a
proposal has: the recurring service at the estimated monthly value (or per seat for a licence
true-up) and, where the MSP charges one, a one-time setup fee as a share of the monthly value,
with the discount the template grants. Money is Decimal in the suggestion's currency, rounded
half-up to the cent per line, then summed: the totals are the sum of the printed lines.
Tax applies to the recurring monthly total and the one-time total separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    description: str
    recurring: bool
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return (gross * (1 - self.discount_pct / HUNDRED)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    recurring_monthly: Decimal
    one_time: Decimal
    recurring_tax: Decimal
    one_time_tax: Decimal

    @property
    def recurring_with_tax(self) -> Decimal:
        return self.recurring_monthly + self.recurring_tax

    @property
    def one_time_with_tax(self) -> Decimal:
        return self.one_time + self.one_time_tax


def _money(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def lines_for(
    template: dict[str, Any], kind: str, title: str, monthly: Decimal, seats: int | None
) -> list[Line]:
    """The template's lines for ``kind`` priced from the estimate (``monthly``, per month)."""
    spec = template["kinds"].get(kind, template["kinds"]["default"])
    out = []
    quantity = Decimal(seats) if spec.get("per_seat") and seats else Decimal(1)
    out.append(
        Line(
            description=spec["recurring"].replace("{title}", title),
            recurring=True,
            quantity=quantity,
            unit_price=_money(monthly / quantity),
            discount_pct=Decimal(str(spec.get("discount_pct", 0))),
        )
    )
    setup_pct = Decimal(str(spec.get("setup_fee_pct", 0)))
    if setup_pct > 0:
        out.append(
            Line(
                description=spec.get("setup", "Onboarding and setup"),
                recurring=False,
                quantity=Decimal(1),
                unit_price=_money(monthly * setup_pct / HUNDRED),
                discount_pct=Decimal(str(spec.get("setup_discount_pct", 0))),
            )
        )
    return out


def totals(lines: list[Line], tax_pct: Decimal) -> Totals:
    recurring = sum((x.total for x in lines if x.recurring), Decimal(0))
    one_time = sum((x.total for x in lines if not x.recurring), Decimal(0))
    return Totals(
        recurring_monthly=recurring,
        one_time=one_time,
        recurring_tax=_money(recurring * tax_pct / HUNDRED),
        one_time_tax=_money(one_time * tax_pct / HUNDRED),
    )


def markdown(
    title: str,
    client: str,
    currency: str,
    lines: list[Line],
    t: Totals,
    tax_pct: Decimal,
    narrative: str,
    licence_check: str | None,
) -> str:
    """The proposal as Markdown: narrative, the line table, totals, and SLI's answer if asked."""
    rows = [
        f"| {x.description} | {'monthly' if x.recurring else 'one-time'} | {x.quantity.normalize():f} | "
        f"{x.unit_price:,.2f} | {x.discount_pct.normalize():f} % | {x.total:,.2f} |"
        for x in lines
    ]
    parts = [
        f"# {title}",
        f"**Client:** {client}  ",
        f"**Currency:** {currency}",
        "",
        narrative,
        "",
        "| Item | Billing | Qty | Unit price | Discount | Total |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"- Monthly recurring: {t.recurring_monthly:,.2f} {currency} + tax {tax_pct.normalize():f} % "
        f"({t.recurring_tax:,.2f}) = **{t.recurring_with_tax:,.2f} {currency} a month**",
        f"- One-time: {t.one_time:,.2f} {currency} + tax ({t.one_time_tax:,.2f}) = "
        f"**{t.one_time_with_tax:,.2f} {currency}**",
    ]
    if licence_check is not None:
        parts += ["", f"**Licence check (SLI):** {licence_check}"]
    return "\n".join(parts) + "\n"
