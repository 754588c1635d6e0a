"""The ROI ledger on hand-worked months: a licence finding reported, enlarged and resolved (in any
arrival order), a confirmed level shift measured against later spend, a cancelled and a
renegotiated renewal, and month totals that never add currencies."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from dsa.domain.roi import (
    ConfirmedAnomaly,
    LicenceReport,
    Measured,
    MonthEntry,
    Rate,
    Recommendation,
    RenewalAdvice,
    Reported,
    anomaly_recommendation,
    entries,
    licence_recommendation,
    month_totals,
    renewal_recommendation,
)

D = Decimal


def report(
    day: date, status: str, exposure: str, nature: str | None = "saving", known: bool = True
) -> LicenceReport:
    return LicenceReport(
        violation_id="V-1",
        reported_at_day=day,
        order=(f"{day}T06:00:00+00:00", "d"),
        status=status,  # type: ignore[arg-type]
        nature=nature,
        monthly_exposure=D(exposure),
        currency="USD",
        exposure_known=known,
        client_id="C-1",
        summary="6 unused seats of M365 Business Premium",
    )


def as_table(es: list[MonthEntry]) -> list[tuple[str, Decimal, Decimal]]:
    return [(e.month.isoformat()[:7], e.expected, e.realised) for e in es]


def test_a_resolved_licence_finding_is_promised_from_its_finding_and_realised_from_its_resolution() -> None:
    reports = [
        report(date(2026, 3, 10), "open", "310"),
        report(date(2026, 3, 20), "open", "620"),  # more seats found unused: the promise grows
        report(date(2026, 4, 16), "resolved", "0"),
    ]
    for order in itertools.permutations(reports):  # whatever order the reports arrived in
        rec = licence_recommendation(order)
        assert rec is not None
        assert (rec.counts_from, rec.acted_on, rec.promised) == (
            date(2026, 3, 10),
            date(2026, 4, 16),
            Rate(D(620), "month"),
        )
        # March: 22 of 31 days x 620 = 440; April: 620 expected, 15 of 30 days realised = 310; May whole
        assert as_table(entries(rec, date(2026, 5, 31))) == [
            ("2026-03", D(440), D(0)),
            ("2026-04", D(620), D(310)),
            ("2026-05", D(620), D(620)),
        ]


def test_an_open_finding_is_promised_only_and_a_reopened_one_is_not_realised() -> None:
    rec = licence_recommendation([report(date(2026, 3, 1), "open", "100")])
    assert rec is not None and rec.acted_on is None
    assert as_table(entries(rec, date(2026, 3, 31))) == [("2026-03", D(100), D(0))]
    reopened = licence_recommendation(
        [
            report(date(2026, 3, 1), "open", "100"),
            report(date(2026, 3, 5), "resolved", "0"),
            report(date(2026, 3, 9), "open", "100"),
        ]
    )
    assert reopened is not None and reopened.acted_on is None


def test_credits_unknown_prices_and_compliance_costs_are_not_savings() -> None:
    assert licence_recommendation([report(date(2026, 3, 1), "open", "100", nature="credit")]) is None
    assert licence_recommendation([report(date(2026, 3, 1), "open", "0", known=False)]) is None
    assert licence_recommendation([report(date(2026, 3, 1), "open", "100", nature=None)]) is None
    leak = licence_recommendation([report(date(2026, 3, 1), "open", "100", nature="leakage")])
    assert leak is not None and leak.kind == "licence_leakage"


def shift(
    feedback: str | None = "confirmed", shape: str = "level_shift", day: date = date(2026, 4, 10)
) -> ConfirmedAnomaly:
    return ConfirmedAnomaly(
        anomaly_id="A-1",
        series_key="cloud|service|SD|EC2",
        subject="EC2",
        department="SD",
        shape=shape,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 7),
        expected=D(420),  # 60 a day for 7 days
        actual=D(770),  # 110 a day
        currency="USD",
        feedback=feedback,
        feedback_day=day,
    )


def test_a_confirmed_level_shift_is_measured_against_the_spend_after_the_feedback() -> None:
    rec = anomaly_recommendation(shift())
    assert rec is not None
    assert rec.promised == Rate(D(50), "day") and rec.realisation == Measured(Rate(D(110), "day"))
    spend = {date(2026, 4, 10) + timedelta(days=k): D(110) for k in range(10)}  # 10 - 19 April: not fixed
    spend |= {date(2026, 4, 20) + timedelta(days=k): D(60) for k in range(11)}  # fixed from 20 April
    # 21 days from 10 April: expected 21 x 50 = 1,050; realised 21 x 110 - (1,100 + 660) = 550
    assert as_table(entries(rec, date(2026, 4, 30), spend)) == [("2026-04", D(1050), D(550))]
    assert as_table(entries(rec, date(2026, 4, 9), spend)) == []


def test_only_a_lasting_rise_the_msp_confirmed_counts_and_from_after_its_last_flag() -> None:
    assert anomaly_recommendation(shift(feedback="expected")) is None
    assert anomaly_recommendation(shift(shape="spike")) is None
    early = anomaly_recommendation(shift(day=date(2026, 4, 3)))  # confirmed while still flagged
    assert early is not None and early.counts_from == early.acted_on == date(2026, 4, 8)


def advice(recommendation: str, **changes: object) -> RenewalAdvice:
    fields: dict[str, object] = {
        "contract_id": "K-1",
        "vendor": "KnowBe4",
        "department": "SD",
        "recommendation": recommendation,
        "renewal_date": date(2026, 3, 1),
        "term_months": 12,
        "forecast_next_term": D("16224"),
        "spend_12m": D("12900"),
        "annual_value": D("6000"),
        "currency": "USD",
    }
    return RenewalAdvice(**(fields | changes))  # type: ignore[arg-type]


def test_a_cancelled_renewal_saves_the_contract_value_less_what_is_still_spent() -> None:
    rec = renewal_recommendation(advice("cancel", forecast_next_term=D(0)))
    assert rec is not None and rec.counts_until == date(2027, 2, 28)
    spend = {date(2026, 4, 8): D(100)}  # one straggling invoice
    # baseline 6,000 / 12 = 500 a month. March whole: 500 / 500; April 1-15: 15/30 x 500 = 250, less 100
    assert as_table(entries(rec, date(2026, 4, 15), spend)) == [
        ("2026-03", D(500), D(500)),
        ("2026-04", D(250), D(150)),
    ]


def test_a_renegotiated_renewal_is_measured_against_the_analysed_next_term() -> None:
    rec = renewal_recommendation(advice("renegotiate"))
    assert rec is not None
    # baseline 16,224 / 12 = 1,352; target last year's mean month 12,900 / 12 = 1,075; promised 277
    assert rec.promised == Rate(D(277), "month")
    assert as_table(entries(rec, date(2026, 3, 31), {date(2026, 3, 5): D(1300)})) == [
        ("2026-03", D(277), D(52))
    ]
    assert as_table(entries(rec, date(2028, 1, 1), {}))[-1][0] == "2027-02"  # the term ends
    assert renewal_recommendation(advice("renew")) is None
    assert renewal_recommendation(advice("renegotiate", forecast_next_term=D(12000))) is None  # no rise


def test_month_totals_keep_currencies_apart_and_split_by_kind() -> None:
    def rec(rec_id: str, kind: str, currency: str, amount: str) -> Recommendation:
        return Recommendation(
            rec_id=rec_id,
            agent="sli",
            kind=kind,
            subject=rec_id,
            currency=currency,
            promised=Rate(D(amount), "month"),
            counts_from=date(2026, 2, 1),
            counts_until=None,
            acted_on=date(2026, 2, 15),
            realisation=Reported(),
        )

    es = [
        *entries(rec("a", "licence_saving", "USD", "280"), date(2026, 2, 28)),
        *entries(rec("b", "licence_leakage", "USD", "28"), date(2026, 2, 28)),
        *entries(rec("c", "licence_saving", "EUR", "56"), date(2026, 2, 28)),
    ]
    totals = month_totals(es)
    assert [(t.currency, t.expected, t.realised) for t in totals] == [
        ("EUR", D(56), D(28)),  # 14 of 28 days realised
        ("USD", D(308), D(154)),
    ]
    assert totals[1].by_kind == {"licence_leakage": (D(28), D(14)), "licence_saving": (D(280), D(140))}
