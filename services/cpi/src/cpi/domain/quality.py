"""Data-quality counters beside every margin: what the number could not include, never a silent 0."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cpi.domain.ledger import MonthLines, cents


@dataclass(frozen=True)
class DataQuality:
    uncosted_hours: Decimal
    """Hours whose technician has no cost rate (in the client's currency) on the work date."""
    unlinked_hours: Decimal
    """Hours charged to no agreement."""
    uncosted_revenue: Decimal
    """Product/licence revenue with no known cost (no unit cost, subscription or addition)."""
    currency_mismatches: int
    """Facts in another currency than the client's: counted here, kept out of every sum."""
    lines_matched_by_product: int = 0
    """Product/licence invoice line months costed by an agreement addition matched by product id
    only (no vendor SKU on one side): counted once, but SLI cannot reconcile them by SKU."""
    licence_cost_unmatched: Decimal = Decimal(0)
    """Licence cost taken from invoice lines that no addition or subscription matches: counted
    once, and shown because a licence is normally resold through one (a missing SKU/product
    mapping would otherwise cost it twice without a trace)."""

    @property
    def clean(self) -> bool:
        return not (
            self.uncosted_hours
            or self.unlinked_hours
            or self.uncosted_revenue
            or self.currency_mismatches
            or self.lines_matched_by_product
            or self.licence_cost_unmatched
        )

    def warnings(self) -> list[str]:
        out = []
        if self.uncosted_hours:
            out.append(
                f"{self.uncosted_hours} h have no cost rate on their work date: labour cost is understated"
            )
        if self.unlinked_hours:
            out.append(f"{self.unlinked_hours} h are charged to no agreement")
        if self.uncosted_revenue:
            out.append(f"{cents(self.uncosted_revenue)} of product/licence revenue has no known cost")
        if self.currency_mismatches:
            out.append(
                f"{self.currency_mismatches} facts in another currency were left out (never converted)"
            )
        if self.lines_matched_by_product:
            out.append(
                f"{self.lines_matched_by_product} product/licence invoice lines were matched to an "
                "agreement addition by product id only (no vendor SKU on one side)"
            )
        if self.licence_cost_unmatched:
            out.append(
                f"{cents(self.licence_cost_unmatched)} of licence cost comes from invoice lines no "
                "agreement addition or subscription matches (by vendor SKU or product id): check the "
                "agreement resells it"
            )
        return out


def quality(lines: MonthLines) -> DataQuality:
    return DataQuality(
        uncosted_hours=lines.uncosted_hours,
        unlinked_hours=lines.unlinked_hours,
        uncosted_revenue=lines.uncosted_revenue,
        currency_mismatches=lines.currency_mismatches,
        lines_matched_by_product=lines.lines_matched_by_product,
        licence_cost_unmatched=lines.licence_cost_unmatched,
    )
