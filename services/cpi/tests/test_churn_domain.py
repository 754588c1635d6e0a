"""Churn risk, pure part: features by hand, no leakage, health score, bands, the stored model."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from cpi.churn.model import fit
from cpi.domain.churn import (
    FEATURES,
    AgreementFact,
    ClientFact,
    History,
    InvoiceFact,
    TicketFact,
    TrainingRow,
    band_of,
    band_to_publish,
    churn_date,
    features_at,
    health_score,
    health_signals,
    signal_table,
    training_rows,
)

MARCH = date(2025, 3, 1)


def at(y: int, m: int, d: int = 10) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def hand_history() -> History:
    tickets = [TicketFact("C1", at(2024, m)) for m in range(7, 13)]  # baseline: 1 a month
    tickets += [TicketFact("C1", at(2025, m, d)) for m in (1, 2, 3) for d in (5, 6, 7)]  # 3 a month
    tickets += [
        TicketFact("C1", at(2025, 1, 8), breached_at=at(2025, 1, 9)),
        TicketFact(
            "C1", at(2025, 2, 8), breached_at=at(2025, 2, 9), csat_rating="negative", csat_at=at(2025, 2, 20)
        ),
        TicketFact("C1", at(2025, 3, 30), breached_at=at(2025, 4, 2)),  # breach known after the cutoff
        TicketFact("C1", at(2024, 12, 1), csat_rating="positive", csat_at=at(2025, 1, 3)),
    ]
    # recent tickets: 9 + 3 opened in Jan-Mar = 12 ; breaches known in Jan-Mar: 2
    invoices = [
        InvoiceFact("I1", "C1", date(2025, 2, 1), Decimal(100), ((date(2025, 2, 11), Decimal(100)),)),
        InvoiceFact("I2", "C1", date(2025, 3, 15), Decimal(100), ((date(2025, 4, 20), Decimal(100)),)),
        InvoiceFact("I3", "C1", date(2025, 4, 15), Decimal(100)),  # not due by the cutoff
    ]
    agreements = [
        AgreementFact("A1", "C1", at(2024, 1, 1), date(2024, 1, 1), date(2025, 12, 31), auto_renew=True),
        AgreementFact("A1", "C1", at(2025, 4, 10), date(2024, 1, 1), date(2025, 6, 30), auto_renew=False),
    ]
    return History([ClientFact("C1", date(2024, 1, 1))], tickets, invoices, agreements)


def test_features_worked_out_by_hand() -> None:
    f = features_at(signal_table(hand_history())["C1"], MARCH)
    # 12 opened in Jan-Mar (4 a month) against 7 in Jul-Dec (the Dec 1 ticket makes 7/6 a month)
    assert f["ticket_trend"] == round(math.log((12 / 3 + 1) / (7 / 6 + 1)), 6)
    assert f["sla_breach_rate"] == round(2 / 12, 6)
    assert f["csat_negative_rate"] == round((1 + 0.08 * 5) / (2 + 5), 6)  # 2 responses, 1 negative
    assert f["days_late"] == (10 + 17) / 2  # I1 paid 10 days late, I2 17 days overdue at Apr 1
    assert f["tenure_months"] == 15
    assert f["months_to_end"] == round((date(2025, 12, 31) - date(2025, 4, 1)).days / 30.4375, 6)
    assert f["notice_given"] == 0  # the notice became known on Apr 10
    assert f["margin_trend"] == 0 and f["margin_known"] == 0


def test_the_notice_counts_from_the_month_it_became_known() -> None:
    f = features_at(signal_table(hand_history())["C1"], date(2025, 4, 1))
    assert f["notice_given"] == 1
    assert f["months_to_end"] == round((date(2025, 6, 30) - date(2025, 5, 1)).days / 30.4375, 6)


def test_no_leakage_features_at_m_ignore_facts_known_later() -> None:
    base = hand_history()
    later = History(
        base.clients,
        [
            *base.tickets,
            *(TicketFact("C1", at(2025, 4, d), breached_at=at(2025, 4, d)) for d in range(1, 20)),
        ],
        [*base.invoices, InvoiceFact("I9", "C1", date(2025, 5, 1), Decimal(5))],
        [
            *base.agreements,
            AgreementFact("A2", "C1", at(2025, 5, 1), date(2024, 1, 1), date(2025, 5, 2), False),
        ],
    )
    later = replace(later, clients=[ClientFact("C1", date(2024, 1, 1), "churned", date(2025, 6, 30))])
    for month in (date(2025, 1, 1), date(2025, 2, 1), MARCH):
        assert features_at(signal_table(later)["C1"], month) == features_at(signal_table(base)["C1"], month)


def test_churn_date_from_status_or_from_agreements() -> None:
    table = signal_table(hand_history())
    assert churn_date(table["C1"]) == date(2025, 6, 30)  # its only agreement ends without renewal
    churned = History([ClientFact("C2", date(2024, 1, 1), "churned", date(2025, 5, 31))])
    assert churn_date(signal_table(churned)["C2"]) == date(2025, 5, 31)
    renewing = History(
        [ClientFact("C3", date(2024, 1, 1))],
        agreements=[AgreementFact("A3", "C3", at(2024, 1, 1), date(2024, 1, 1), date(2024, 12, 31), True)],
    )
    assert churn_date(signal_table(renewing)["C3"]) is None


def test_training_rows_label_the_horizon_and_are_ordered() -> None:
    table = signal_table(hand_history())
    rows = training_rows(table, date(2025, 12, 1), horizon_months=3)
    labels = {r.month: r.churned for r in rows}
    assert labels[date(2025, 2, 1)] is False  # window Mar 1 - May 31: still a client
    assert labels[date(2025, 3, 1)] is True  # window Apr 1 - Jun 30: leaves on Jun 30
    assert max(labels) == date(2025, 5, 1)  # active until Jun 30; the month ending Jun 30 is not active after
    assert rows == sorted(rows, key=lambda r: (r.month, r.client_id))


GOOD = {
    "ticket_trend": 0.0,
    "sla_breach_rate": 0.05,
    "csat_negative_rate": 0.08,
    "days_late": 0.0,
    "margin_trend": 0.0,
    "tenure_months": 30.0,
    "months_to_end": 24.0,
    "notice_given": 0.0,
    "csat_responses": 4.0,
    "margin_known": 0.0,
}


def test_health_score_weights_on_hand_cases() -> None:
    assert health_score(GOOD) == 97.5  # everything healthy, margin unknown = neutral 50 x 5
    assert health_score({**GOOD, "notice_given": 1.0}) == 82.5  # renewal (15) lost
    assert health_score({**GOOD, "sla_breach_rate": 0.20}) == 97.5 - 25 * 0.5  # half way to 35 %
    assert (
        health_score({**GOOD, "days_late": 45.0, "csat_responses": 0.0}) == 97.5 - 20 - 10
    )  # CSAT unknown → 50
    assert health_score({**GOOD, "margin_known": 1.0, "margin_trend": -20.0}) == 95.0
    worst = {
        **GOOD,
        "sla_breach_rate": 1,
        "csat_negative_rate": 1,
        "days_late": 90,
        "ticket_trend": 2,
        "notice_given": 1,
    }
    assert health_score(worst) == 2.5
    assert health_signals(worst) == [
        ("sla_breach_rate", 1, 25.0),
        ("csat_negative_rate", 1, 20.0),
        ("days_late", 90, 20.0),
    ]


def test_bands_and_what_is_published() -> None:
    assert [band_of(p, "model") for p in (0.01, 0.08, 0.2499, 0.25)] == ["low", "medium", "medium", "high"]
    assert [band_of(1 - h / 100, "health_score") for h in (70, 69, 40, 39)] == [
        "low",
        "medium",
        "medium",
        "high",
    ]
    assert band_to_publish("low", None) is None  # a first low is not news
    assert band_to_publish("high", None) == "high"
    assert band_to_publish("high", "high") is None  # never twice for one band
    assert band_to_publish("medium", "high") == "medium"
    assert band_to_publish("low", "medium") == "low"


def synthetic_rows(n: int = 1500, seed: int = 3) -> list[TrainingRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        f = tuple(rng.random() for _ in FEATURES)
        rows.append(
            TrainingRow(f"C{i:04d}", date(2025, 1 + i % 12, 1), f, rng.random() < 0.02 + 0.4 * f[1] ** 3)
        )
    return rows


def test_training_is_deterministic_and_the_json_model_matches_scikit_learn() -> None:
    from sklearn.calibration import CalibratedClassifierCV  # noqa: F401  (the model's maker)

    rows = synthetic_rows()
    a, b = fit(rows), fit(list(rows))
    assert a == b
    f = dict(zip(FEATURES, rows[7].features, strict=True))
    assert a.probability(f) == b.probability(f)
    # the pure-Python evaluation is the calibrated logistic regression
    z = np.array([(f[n] - m) / s for n, m, s in zip(a.features, a.mean, a.scale, strict=True)])
    decision = float(a.intercept + np.dot(a.coef, z))
    assert a.probability(f) == pytest.approx(1 / (1 + math.exp(a.calib_a * decision + a.calib_b)))
    top = a.top_signals(f)
    assert top and top[0][0] in FEATURES and all(c > 0 for _, _, c in top)
    assert a.coef[FEATURES.index("sla_breach_rate")] == max(a.coef)
