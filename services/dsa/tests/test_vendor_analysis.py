"""Rule 3: on ``contract.renewal.due`` DSA analyses 12 months of spend with the vendor and
recommends renew / renegotiate / cancel with the numbers (hand-worked cases, then end to end)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money
from msp_events.testing.replay import replay
from msp_events.types.agents import ContractRenewalDue
from msp_events.types.finance import BudgetSet, ExpenseRecorded

from dsa.app import create_service
from dsa.domain.vendors import analyse, slope
from dsa.settings import Settings

D = Decimal


def test_stable_spend_within_the_contract_is_renewed() -> None:
    result = analyse([D(1000)] * 12, D(12000), uplift_pct=D(3), term_months=12, budget=D(60000), anomalies=0)
    assert result.recommendation == "renew"
    assert (result.total, result.trend_pct_per_month, result.price_change_pct) == (D(12000), D(0), D(0))
    assert result.share_of_budget_pct == D(20)
    assert result.forecast_next_term == D("12360.00")  # 1,000 x 12 x 1.03


def test_a_price_rise_is_renegotiated_with_the_reasons() -> None:
    monthly = [D(1000)] * 9 + [D(1200)] * 3
    result = analyse(monthly, D(12000), uplift_pct=None, term_months=12, budget=None, anomalies=1)
    assert result.recommendation == "renegotiate"
    assert result.price_change_pct == D("20.00")
    assert any("20.00 % more" in r for r in result.reasons)
    assert any("over 110 %" in r for r in result.reasons)  # 14,400 a year against 12,000
    assert "1 spend anomaly in the year" in result.reasons


def test_no_spend_in_the_last_quarter_is_cancelled() -> None:
    result = analyse(
        [D(500)] * 9 + [D(0)] * 3, D(6000), uplift_pct=None, term_months=12, budget=None, anomalies=0
    )
    assert result.recommendation == "cancel" and result.forecast_next_term == 0


def test_without_a_contract_value_the_run_rate_has_nothing_to_exceed() -> None:
    """``contract.renewal.due`` 2.0 without ``annual_value``: the other rules still decide."""
    monthly = [D(1000)] * 9 + [D(1200)] * 3
    result = analyse(monthly, None, uplift_pct=None, term_months=12, budget=None, anomalies=0)
    assert result.recommendation == "renegotiate"
    assert result.reasons == ("the last 3 months cost 20.00 % more than the first 3",)
    assert analyse(
        [D(1000)] * 12, None, uplift_pct=None, term_months=12, budget=None, anomalies=0
    ).recommendation == ("renew")


def test_the_slope_is_least_squares() -> None:
    assert slope([D(1), D(3), D(5)]) == 2
    assert slope([D(2), D(2)]) == 0


def renewal_notice(**changes: Any) -> Envelope[ContractRenewalDue]:
    """VCM's reminder, 31 days before the notice deadline of a term renewing on 1 March 2026."""
    fields: dict[str, Any] = {
        "contract_id": "K-KB4",
        "vendor": "KnowBe4",
        "renewal_date": date(2026, 3, 1),
        "notice_deadline": date(2026, 2, 1),
        "days_to_notice_deadline": 31,
        "auto_renew": True,
        "summary": "the renewal on 2026-03-01",
        **changes,
    }
    return Envelope.build(
        ContractRenewalDue(**fields), source="msp.vcm", time=datetime(2026, 1, 1, 6, tzinfo=UTC)
    )


@pytest.mark.parametrize("stated", [True, False], ids=["with-value", "without-value"])
async def test_a_renewal_notice_gets_the_vendor_analysis(tmp_path: Path, stated: bool) -> None:
    usd = lambda a: Money(amount=Decimal(a), currency="USD")  # noqa: E731
    events: list[Envelope[Any]] = [
        Envelope.build(
            BudgetSet(
                budget_id="B-2025-SD",
                department="Service Delivery",
                period_start=date(2025, 1, 1),
                period_end=date(2025, 12, 31),
                planned=usd("120000"),
            ),
            source="finance.odoo",
            time=datetime(2025, 1, 1, tzinfo=UTC),
        )
    ]
    for m in range(1, 13):
        amount = "1000" if m <= 9 else "1300"
        day = date(2025, m, 5)
        events.append(
            Envelope.build(
                ExpenseRecorded(
                    expense_id=f"KB-{m}",
                    expense_date=day,
                    department="Service Delivery",
                    vendor="KnowBe4",
                    category="Software",
                    amount=usd(amount),
                ),
                source="finance.odoo",
                time=datetime(2025, m, 5, 18, tzinfo=UTC),
            )
        )
    value = usd("12000") if stated else None
    events.append(renewal_notice(department="Service Delivery", annual_value=value, expected_uplift_pct=D(4)))
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), events, database_url=f"sqlite:///{tmp_path}/d.db"
    )
    assert result.dead_letters == []
    [analysed] = [e.data for e in result.outputs if e.type == "spend.vendor.analyzed"]
    assert (analysed.window_start, analysed.window_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert analysed.spend_12m == usd("12900") and analysed.share_of_budget_pct == Decimal("10.75")
    assert analysed.price_change_pct == Decimal("30.00") and analysed.recommendation == "renegotiate"
    assert analysed.forecast_next_term == usd("16224.00")  # 1,300 x 12 x 1.04
    assert [m.amount for m in analysed.monthly_spend] == [Decimal(1000)] * 9 + [Decimal(1300)] * 3
    # the run rate (15,600) is over 110 % of a stated 12,000; with no value only the price rise counts
    assert any("over 110 %" in r for r in analysed.reasons) is stated
    assert analysed.annual_value == (usd("12000") if stated else None)
    assert ("no contract value stated" in analysed.summary) is not stated


async def test_a_renewal_of_unknown_value_and_no_spend_or_budget_is_not_analysed(tmp_path: Path) -> None:
    """No value, no spend booked with the vendor, no department budget: no currency, nothing to say."""
    events = [renewal_notice(contract_id="K-X", vendor="Nobody Ltd")]
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), events, database_url=f"sqlite:///{tmp_path}/d.db"
    )
    assert result.dead_letters == [] and result.outputs == []
