"""Golden replay: a recorded log of one client over three months gives exactly the recorded
``license.compliance.violation`` and ``license.compliance.checked`` events, on the in-process
transport with SQLite and (integration) on real Kafka + PostgreSQL, where the three-way table must
also equal SQLite's row for row. ``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``scenario()``
(review before committing)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session

from msp_events import Envelope, eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from sli.app import create_service
from sli.settings import Settings
from sli.store.tables import Finding, LicenceLine

sys.path.insert(0, str(Path(__file__).parent))
from sli_facts import SPB, T0, agreement, opportunity, seat, software, subscription, tick

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "licence_input.jsonl"
EXPECTED = GOLDEN / "licence_outputs.jsonl"
DAY = timedelta(days=1)
NAMES = ("ann", "bob", "cy", "dee", "eve")


def read(at: Any, idle: tuple[str, ...] = (), names: tuple[str, ...] = NAMES) -> list[Envelope[Any]]:
    return [seat(n, at, at - (90 * DAY if n in idle else timedelta(hours=3))) for n in names]


def scenario() -> list[Envelope[Any]]:
    """September: 5 bought, 5 assigned, 4 billed (under-billed 1); Visio bought for 1 seat, installed
    on 2 devices, billed nowhere. October: dee stops signing in (idle at the next read), the PSA bills
    5; an opportunity to add seats is checked. November: 2 more seats bought mid-month and eve leaves
    (seat freed): unused grows to dee + 3 unassigned seats, 2 seats are under-billed, and the renewal
    review starts (the commitment ends 2027-01-29)."""
    visio = {
        "subscription_id": "SUB-V",
        "sku_id": "visio-sku",
        "sku_part_number": "VISIOCLIENT",
        "product_name": "Visio Plan 2",
        "quantity": 1,
        "consumed_units": None,
    }
    oct1, nov1 = T0 + 30 * DAY, T0 + 61 * DAY
    events: list[Envelope[Any]] = [
        subscription(quantity=5, commitment_end_date=None),
        subscription(**visio),
        agreement(seats="4"),
        *read(T0),
        software("1", T0, ("Visio Plan 2",)),
        software("2", T0, ("Visio Plan 2", "Google Chrome")),
        tick(T0 + timedelta(hours=2)),
        tick(T0 + DAY),
        agreement(oct1, seats="5"),
        *read(oct1, idle=("dee",)),
        tick(oct1 + timedelta(hours=2)),
        opportunity(oct1 + timedelta(hours=3)),
        subscription(nov1 + 14 * DAY, quantity=7, commitment_end_date=(T0 + 150 * DAY).date()),
        *read(nov1 + 14 * DAY, idle=("dee",), names=NAMES[:4]),
        seat("eve", nov1 + 14 * DAY, None, skus=()),
        tick(nov1 + 14 * DAY + timedelta(hours=2)),
    ]
    return events


def update() -> bool:
    return os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")


def lines(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(LicenceLine).order_by(LicenceLine.client_id, LicenceLine.sku_id)
            ).scalars()  # type: ignore[arg-type]
            table = [tuple(v for k, v in sorted(r.model_dump().items())) for r in rows]
            findings = session.execute(select(Finding).order_by(Finding.finding_id)).scalars()  # type: ignore[arg-type]
            return table + [
                (f.finding_id, f.status, f.seats, f.monthly_amount, f.action_text) for f in findings
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize("transport", ["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
async def test_the_log_replays_to_the_golden_licence_events(
    transport: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if transport == "inprocess" and (update() or not LOG.exists()):
        eventlog.write(scenario(), LOG)
    sqlite = f"sqlite:///{tmp_path}/sli.db"
    settings = Settings(MSP_TRANSPORT="inprocess", SLI_SOFTWARE_SKUS={"Visio Plan 2": "VISIOCLIENT"})
    options: dict[str, Any] = {"database_url": sqlite}
    if transport == "kafka":
        options = {
            "kafka_bootstrap": request.getfixturevalue("kafka_bootstrap"),
            "database_url": request.getfixturevalue("postgres_url"),
        }
    result = await replay(create_service, settings, LOG, transport=transport, **options)  # type: ignore[arg-type]
    assert result.dead_letters == []
    if transport == "inprocess" and (update() or not EXPECTED.exists()):
        eventlog.write(result.outputs, EXPECTED)
    assert_matches_golden(result.outputs, EXPECTED)
    story = [
        (e.type.rsplit(".", 1)[-1], e.data.sku_id, getattr(e.data, "finding_class", None), e.data.status)
        for e in result.outputs
    ]
    assert story == [
        # September: Visio is bought (1 seat) but billed nowhere and installed on 2 devices;
        # Business Premium: 5 bought, 4 billed
        ("violation", "visio-sku", "unbilled", "open"),
        ("violation", SPB, "under_billed", "open"),
        ("violation", "visio-sku", "over_deployed", "open"),
        # October: dee is idle at the read; the PSA bills 5; the opportunity meets dee's seat
        ("violation", SPB, "unused", "open"),
        ("violation", SPB, "under_billed", "resolved"),
        ("checked", SPB, None, "issues"),
        # November: 7 bought and eve gone: dee + 3 unassigned seats, and 2 seats under-billed
        ("violation", SPB, "unused", "open"),
        ("violation", SPB, "under_billed", "open"),
    ]
    unused = [e.data for e in result.outputs if getattr(e.data, "finding_class", None) == "unused"]
    assert [(u.seats_affected, u.monthly_exposure.amount) for u in unused] == [
        (1, D("17.60")),
        (4, D("70.40")),
    ]
    assert unused[0].violation_id == unused[1].violation_id  # the same finding, updated
    if transport == "kafka":  # the same three-way table and findings as SQLite
        reference = f"sqlite:///{tmp_path}/reference.db"
        await replay(create_service, settings, LOG, database_url=reference)
        assert lines(options["database_url"]) == lines(reference)
