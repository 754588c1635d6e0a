"""Scoring against hand-built truths: exact found / missed / false and precision / recall.

The rules are the agents' truth benchmarks (RAM, DSA) and the demo's own VCM rule; each case below
is small enough to count by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from msp_events import Envelope, Money
from msp_events.types.agents import ResourceUtilizationAlert, SpendAnomalyDetected

from msp_demo.scoring import score_dsa, score_ram, score_spo, score_vcm

AT = datetime(2025, 6, 1, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def utilisation_alert(
    technician: str, kind: str, *, change: str = "entered", granularity: str = "month"
) -> Any:
    data = ResourceUtilizationAlert(
        technician_id=technician,
        period_start=date(2025, 5, 1),
        period_end=date(2025, 5, 31),
        basis="actual",
        kind=kind,
        utilisation_pct=Decimal("120") if kind == "over" else Decimal("30"),
        target_pct=Decimal("75"),
        threshold_pct=Decimal("100") if kind == "over" else Decimal("60"),
        billable_hours=Decimal("100"),
        available_hours=Decimal("160"),
        summary=f"{technician} {kind}",
        change=change,
        scope="technician",
        granularity=granularity,
    )
    return Envelope.build(data, source="msp.ram", time=AT)


def test_ram_counts_planted_technicians_found_missed_and_false() -> None:
    truth = {
        "utilisation": [
            {"technician_id": "T001", "kind": "over"},
            {"technician_id": "T002", "kind": "under"},
            {"technician_id": "T003", "kind": "under"},
        ]
    }
    outputs = [
        utilisation_alert("T001", "over"),  # found
        utilisation_alert("T002", "over"),  # wrong kind: false, and T002 stays missed
        utilisation_alert("T003", "under"),  # found
        utilisation_alert("T004", "under"),  # not planted: false
        utilisation_alert("T004", "over", change="left"),  # leaving a band flags nothing
        utilisation_alert("T002", "under", granularity="week"),  # weekly alerts are not scored
    ]
    score = score_ram(truth, outputs)
    assert (score.planted, score.found, score.missed, score.false) == (3, 2, 1, 2)
    assert score.precision == 2 / 4
    assert score.recall == 2 / 3
    assert "missed T002 (under)" in score.notes


def anomaly(anomaly_id: str, department: str, vendor: str, start: date, end: date) -> Any:
    data = SpendAnomalyDetected(
        anomaly_id=anomaly_id,
        department=department,
        spend_source="expense",
        vendor=vendor,
        shape="spike",
        period_start=start,
        period_end=end,
        expected=usd("100.00"),
        actual=usd("400.00"),
        impact=usd("300.00"),
        score=Decimal("0.99"),
        summary=f"{vendor} spike",
        status="open",
        dimension="vendor",
    )
    return Envelope.build(data, source="msp.dsa", time=datetime(end.year, end.month, end.day, tzinfo=UTC))


def test_dsa_judges_after_warm_up_and_counts_false_anomalies_per_id() -> None:
    planted = [
        {  # judgeable and found
            "department": "Projects",
            "source": "expense",
            "vendor": "Dell",
            "category": "Hardware",
            "service": None,
            "linked_account_id": None,
            "start": "2025-05-01",
            "end": "2025-05-03",
        },
        {  # judgeable, missed
            "department": "Executive",
            "source": "expense",
            "vendor": "Delta",
            "category": "Travel",
            "service": None,
            "linked_account_id": None,
            "start": "2025-05-10",
            "end": "2025-05-12",
        },
        {  # before the 63-day warm-up: not judged
            "department": "Projects",
            "source": "expense",
            "vendor": "Dell",
            "category": "Hardware",
            "service": None,
            "linked_account_id": None,
            "start": "2025-01-20",
            "end": "2025-01-21",
        },
    ]
    outputs = [
        anomaly("a1", "Projects", "Dell", date(2025, 5, 2), date(2025, 5, 4)),  # true, finds planted 1
        anomaly("a1", "Projects", "Dell", date(2025, 5, 2), date(2025, 5, 5)),  # an update: same id
        anomaly("a2", "Projects", "Staples", date(2025, 7, 1), date(2025, 7, 2)),  # false
    ]
    score = score_dsa({"spend_anomalies": planted}, outputs, date(2025, 1, 1))
    assert (score.planted, score.found, score.missed, score.false) == (2, 1, 1, 1)
    assert score.precision == 1 / 2
    assert score.recall == 1 / 2
    assert "1 planted before DSA's warm-up: not judged" in score.notes


def contract(document: str, vendor: str, deadline: str | None, near: bool) -> dict[str, Any]:
    return {"document_id": document, "vendor_name": vendor, "notice_deadline": deadline, "near_notice": near}


def reminder(contract_id: str, vendor: str, deadline: str) -> dict[str, Any]:
    return {"contract_id": contract_id, "vendor": vendor, "notice_deadline": deadline}


def test_vcm_needs_the_exact_deadline_and_only_unknown_contracts_are_false() -> None:
    truth = {
        "contracts": [
            contract("D1", "Datto, Inc.", "2025-06-09", True),
            contract("D2", "Pax8, Inc.", "2025-08-01", True),
            contract("D3", "IT Glue", "2026-03-01", False),  # deadline after the log: not planted
            contract("D4", "Ricoh USA, Inc.", None, False),
        ]
    }
    renewals = [
        reminder("VC-1", "Datto, Inc.", "2025-06-09"),  # found
        reminder("VC-1", "Datto, Inc.", "2025-06-09"),  # a later reminder of the same contract
        reminder("VC-2", "Pax8, Inc.", "2025-08-02"),  # wrong deadline: Pax8 missed, and false
        reminder("VC-3", "IT Glue", "2026-03-01"),  # a real contract, not planted: neither
    ]
    score = score_vcm(truth, renewals)
    assert (score.planted, score.found, score.missed, score.false) == (2, 1, 1, 1)
    assert score.precision == 1 / 2
    assert score.recall == 1 / 2
    assert score.notes == [
        "missed Pax8, Inc. deadline 2025-08-01 (D2)",
        "false VC-2: Pax8, Inc. deadline 2025-08-02 matches no contract",
    ]


def test_nothing_planted_scores_nothing_rather_than_a_perfect_score() -> None:
    spo = score_spo()
    assert (spo.planted, spo.precision, spo.recall) == (0, None, None)
    assert spo.as_json()["precision"] is None
    empty = score_vcm({"contracts": []}, [])
    assert (empty.precision, empty.recall) == (None, None)
