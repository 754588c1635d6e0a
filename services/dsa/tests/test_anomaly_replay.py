"""Golden replay: the recorded spend history gives exactly the recorded ``spend.anomaly.detected``
and ``spend.vendor.analyzed`` events (ids, times, numbers), and, once the MSP confirms the cloud
level shift, the recorded ROI ledger. ``MSP_UPDATE_GOLDEN=1`` rewrites the files from
``dsa_facts`` (review before committing)."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from msp_events import eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from dsa.api import _clock
from dsa.app import create_service
from dsa.roi_runs import build_ledger
from dsa.settings import Settings
from dsa.store.tables import AnomalyRow

sys.path.insert(0, str(Path(__file__).parent))
from dsa_facts import SHIFT, SPIKE, START, scenario

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "spend_input.jsonl"
EXPECTED = GOLDEN / "spend_anomaly_detected.jsonl"
ANALYSED = GOLDEN / "spend_vendor_analyzed.jsonl"
ROI = GOLDEN / "roi_ledger.json"


def _updating() -> bool:
    return os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")


def roi_document(url: str) -> dict[str, Any]:
    """The ROI ledger of a replayed database after the MSP confirms the cloud service's level shift
    three days after it ended (what ``POST /anomalies/{id}/feedback`` stores), amounts in cents."""
    cents = lambda d: str(d.quantize(Decimal("0.01"), ROUND_HALF_UP))  # noqa: E731
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            [shift] = session.exec(
                select(AnomalyRow).where(AnomalyRow.dimension == "service", AnomalyRow.period_start == SHIFT)
            )
            shift.feedback, shift.feedback_day = "confirmed", shift.period_end + timedelta(days=3)
            session.add(shift)
            session.flush()
            now = _clock(session)
            assert now is not None
            ledger = build_ledger(session, now.date())
            session.rollback()
    finally:
        engine.dispose()
    return {
        "through": str(ledger.through),
        "measured_through": str(ledger.measured_through),
        "months": [
            {
                "month": str(t.month),
                "currency": t.currency,
                "expected": cents(t.expected),
                "realised": cents(t.realised),
                "by_kind": {k: [cents(e), cents(r)] for k, (e, r) in t.by_kind.items()},
            }
            for t in ledger.totals
        ],
        "recommendations": [
            {
                "rec_id": rec.rec_id,
                "kind": rec.kind,
                "counts_from": str(rec.counts_from),
                "acted_on": str(rec.acted_on),
                "expected": cents(sum((e.expected for e in es), Decimal(0))),
                "realised": cents(sum((e.realised for e in es), Decimal(0))),
            }
            for rec, es in ledger.recommendations
        ],
    }


def assert_roi_matches_golden(document: dict[str, Any]) -> None:
    if _updating() or not ROI.exists():
        ROI.write_text(json.dumps(document, indent=1) + "\n")
    assert document == json.loads(ROI.read_text())


@pytest.fixture(scope="module")
def log() -> Path:
    if _updating() or not LOG.exists():
        eventlog.write(scenario(), LOG)
    return LOG


async def test_the_spend_history_gives_the_recorded_anomalies_and_roi(log: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    result = await replay(create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=url)
    assert result.dead_letters == []
    anomalies = [e for e in result.outputs if e.type == "spend.anomaly.detected"]
    assert_matches_golden(anomalies, EXPECTED)
    [analysed] = [e for e in result.outputs if e.type == "spend.vendor.analyzed"]
    assert_matches_golden([analysed], ANALYSED)
    assert analysed.data.recommendation == "renegotiate"
    roi = roi_document(url)
    assert_roi_matches_golden(roi)
    kinds = {r["kind"]: r for r in roi["recommendations"]}
    assert set(kinds) == {"licence_saving", "spend_anomaly", "vendor_renegotiate", "allocation"}
    assert kinds["allocation"]["acted_on"] == "2026-03-09"
    assert kinds["licence_saving"]["acted_on"] == "2026-03-18"
    spike_day = START + timedelta(days=SPIKE)
    expense = {(e.data.dimension, e.data.status) for e in anomalies if e.data.spend_source == "expense"}
    assert ("department", "open") in expense and ("department", "closed") in expense
    assert all(e.data.period_start == spike_day for e in anomalies if e.data.spend_source == "expense")
    # judged every midnight: the expense spike is out on the next tick; the cloud shift's first day
    # is booked the morning after, so it is out the midnight after that, as a spike that grows
    # into a level shift
    first_expense = next(e for e in anomalies if e.data.spend_source == "expense")
    assert first_expense.time.date() == spike_day + timedelta(days=1)
    cloud = [e for e in anomalies if e.data.spend_source == "cloud" and e.data.dimension == "service"]
    assert cloud[0].time.date() == SHIFT + timedelta(days=2)
    shifts = [e.data for e in cloud]
    assert shifts and shifts[0].period_start == SHIFT and shifts[-1].shape == "level_shift"
    assert shifts[-1].status == "closed"  # the new normal settled: it ended
