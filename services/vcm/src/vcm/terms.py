"""The register's columns from the extracted terms (JSON as ``msp-vcm extract`` prints it).

Kept apart from the use cases because intake, amendments and corrections all go through it: the
JSON (with evidence) is the record, the columns are what deadlines, search filters and the
scorecard query.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from vcm.domain.calendar import BUSINESS_DAYS
from vcm.domain.deadlines import Period, RenewalTerms
from vcm.store.tables import ContractRow


def value(terms: dict[str, Any], name: str) -> Any:
    term = terms.get(name)
    return None if term is None else term.get("value")


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _period(raw: Any) -> tuple[int | None, str | None]:
    """``{"value", "unit"}`` -> register columns; ``"business": true`` days are ``workdays``."""
    if isinstance(raw, dict) and isinstance(raw.get("value"), int) and raw.get("unit") in UNITS:
        if raw["unit"] == "days" and raw.get("business") is True:
            return raw["value"], BUSINESS_DAYS
        return raw["value"], raw["unit"]
    return None, None


UNITS = ("days", "weeks", "months", "years")


def annual_value(terms: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """The yearly value: a monthly fee times twelve, a total spread over the initial term's years;
    a fee whose period the document does not state is not annualised (None)."""
    money = value(terms, "contract_value")
    if not isinstance(money, dict):
        return None, None
    try:
        amount = Decimal(str(money.get("amount")))
    except InvalidOperation:
        return None, None
    currency = money.get("currency")
    period = money.get("period")
    if period == "year":
        return amount, currency
    if period == "month":
        return amount * 12, currency
    months, unit = _period(value(terms, "initial_term"))
    if period == "total" and months:
        total_months = months * 12 if unit == "years" else months if unit == "months" else None
        if total_months:
            return (amount * 12 / total_months).quantize(Decimal("0.01")), currency
    return None, currency


def apply(row: ContractRow, terms: dict[str, Any]) -> None:
    """Set the queried columns from the terms JSON."""
    row.agreement_date = _date(value(terms, "agreement_date"))
    row.effective_date = _date(value(terms, "effective_date"))
    expiration = value(terms, "expiration_date")
    row.perpetual = expiration == "perpetual"
    row.expiration_date = _date(expiration)
    auto = value(terms, "auto_renew")
    row.auto_renew = auto if isinstance(auto, bool) else None
    row.renewal_value, row.renewal_unit = _period(value(terms, "renewal_term"))
    row.notice_value, row.notice_unit = _period(value(terms, "notice_period"))
    row.annual_value, row.currency = annual_value(terms)
    cap = value(terms, "price_restrictions")
    try:
        row.price_cap_pct = (
            Decimal(cap["cap_percent"]) if isinstance(cap, dict) and cap.get("cap_percent") else None
        )
    except InvalidOperation:
        row.price_cap_pct = None


def renewal_terms(row: ContractRow) -> RenewalTerms:
    return RenewalTerms(
        expiration_date=row.expiration_date,
        auto_renew=bool(row.auto_renew),
        renewal_term=Period(row.renewal_value, row.renewal_unit)
        if row.renewal_value and row.renewal_unit
        else None,
        notice_period=Period(row.notice_value, row.notice_unit)
        if row.notice_value and row.notice_unit
        else None,
    )


def renewal_months(row: ContractRow) -> int | None:
    if row.renewal_value is None:
        return None
    return (
        row.renewal_value * 12
        if row.renewal_unit == "years"
        else row.renewal_value
        if row.renewal_unit == "months"
        else None
    )
