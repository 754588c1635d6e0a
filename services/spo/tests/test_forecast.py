"""Pipeline forecast arithmetic, the seeded Monte Carlo and hygiene, on hand-worked cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from spo.domain.forecast import Deal, forecast, hygiene, months_from

TODAY = date(2026, 11, 20)


def deal(
    i: str, p: str, mrr: str = "0", one_time: str = "0", close: date = date(2026, 12, 10), **kw: object
) -> Deal:
    fields: dict[str, object] = {
        "opportunity_id": i,
        "probability": Decimal(p),
        "recurring_monthly": Decimal(mrr),
        "one_time": Decimal(one_time),
        "currency": "USD",
        "expected_close_date": close,
        "last_activity": TODAY,
        "stage": "proposed",
        "furthest_stage": "proposed",
    }
    fields.update(kw)
    return Deal(**fields)  # type: ignore[arg-type]


def test_months_run_from_the_current_one_across_the_year_end() -> None:
    assert months_from(TODAY, 3) == ["2026-11", "2026-12", "2027-01"]


def test_weighted_pipeline_keeps_one_time_and_recurring_apart_by_close_month() -> None:
    deals = [
        deal("A", "0.5", mrr="1000", one_time="12000"),  # Dec: 500 MRR, 6000 one-time
        deal("B", "0.25", mrr="400.10"),  # Dec: 100.025 -> 100.03 MRR (half-up to the cent)
        deal("C", "0.8", one_time="5000", close=date(2027, 1, 15)),  # Jan: 4000 one-time
        deal("D", "0.1", one_time="999", close=date(2027, 6, 1)),  # beyond 3 months: left out
    ]
    by_month = {m.month: m for m in forecast(deals, TODAY, 3)}
    assert set(by_month) == {"2026-12", "2027-01"}
    dec, jan = by_month["2026-12"], by_month["2027-01"]
    assert (dec.deals, dec.weighted_one_time, dec.weighted_recurring_monthly) == (
        2,
        Decimal("6000.00"),
        Decimal("600.03"),
    )
    assert (jan.deals, jan.weighted_one_time, jan.weighted_recurring_monthly) == (
        1,
        Decimal("4000.00"),
        Decimal("0.00"),
    )


def test_a_past_close_date_counts_in_the_current_month() -> None:
    [month] = forecast([deal("A", "1", one_time="100", close=date(2026, 9, 30))], TODAY, 2)
    assert (month.month, month.weighted_one_time) == ("2026-11", Decimal("100.00"))


def test_certain_and_hopeless_deals_have_no_spread() -> None:
    [month] = forecast([deal("W", "1", one_time="700"), deal("L", "0", one_time="300")], TODAY, 2)
    assert (month.one_time.p10, month.one_time.p50, month.one_time.p90) == (Decimal("700.00"),) * 3


def test_one_coin_flip_deal_spans_nothing_to_everything() -> None:
    [month] = forecast([deal("A", "0.5", mrr="1000")], TODAY, 2)
    assert (month.recurring_monthly.p10, month.recurring_monthly.p90) == (Decimal("0.00"), Decimal("1000.00"))


def test_ten_independent_deals_follow_the_binomial_bands() -> None:
    # 10 deals of 100 at p = 0.5: bookings = 100 x Binomial(10, 0.5); its P10 = 3, P50 = 5, P90 = 7 wins
    deals = [deal(f"D{i}", "0.5", one_time="100") for i in range(10)]
    [month] = forecast(deals, TODAY, 2, seed=42)
    assert (month.one_time.p10, month.one_time.p50, month.one_time.p90) == (
        Decimal("300.00"),
        Decimal("500.00"),
        Decimal("700.00"),
    )


def test_the_monte_carlo_is_seeded() -> None:
    deals = [deal(f"D{i}", f"0.{i + 1}", mrr=str(100 * (i + 1))) for i in range(8)]
    assert forecast(deals, TODAY, 2, seed=1) == forecast(list(reversed(deals)), TODAY, 2, seed=1)


def test_hygiene_flags_each_problem_and_nothing_on_a_clean_deal() -> None:
    deals = [
        deal("CLEAN", "0.5", mrr="100"),
        deal("LATE", "0.5", mrr="100", close=date(2026, 11, 1)),
        deal("ZERO", "0.5"),
        deal("QUIET14", "0.5", mrr="100", last_activity=date(2026, 11, 6)),
        deal("QUIET13", "0.5", mrr="100", last_activity=date(2026, 11, 7)),
        deal("QUIET21", "0.5", mrr="100", last_activity=date(2026, 10, 30)),
        deal("BACK", "0.5", mrr="100", stage="qualified", furthest_stage="proposed"),
    ]
    flags = {(f.opportunity_id, f.kind) for f in hygiene(deals, TODAY)}
    assert flags == {
        ("LATE", "close_date_past"),
        ("ZERO", "zero_amount"),
        ("QUIET14", "no_activity_nudge"),
        ("QUIET21", "no_activity_escalate"),
        ("BACK", "stage_regression"),
    }
