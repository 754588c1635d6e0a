"""Golden replay: a recorded log of four months for two clients gives exactly the recorded
``client.profitability.changed`` events; the same log shuffled within each month gives the same
ledger. ``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``scenario()`` (review before committing)."""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from cpi.app import create_service
from cpi.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import agreement, at, client, invoice, ledger_rows, line, technician, tick, time_entry

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "ledger_input.jsonl"
EXPECTED = GOLDEN / "ledger_profitability_changed.jsonl"
START = datetime(2026, 1, 2, 9, tzinfo=UTC)


def scenario() -> list[Envelope[Any]]:
    """Contoso: 70 % in January, 30 % in February (crossing to thin), 10 % in March (critical),
    15 % in April (problem client: two months below 20 %). Fabrikam: 65 %, 66 %, 50 % (crossing to
    healthy), 52 %. Labour at 50/h; each month's fee invoiced at its end; a tick 6 days later."""
    events: list[Envelope[Any]] = [
        at(START, client("C-1", "Contoso")),
        at(START, client("C-2", "Fabrikam")),
        at(START, technician("T-1")),
        at(START, agreement("A-1", "C-1", fee="1000")),
        at(START, agreement("A-2", "C-2", fee="2000")),
    ]
    hours = {"C-1": ["6", "14", "18", "17"], "C-2": ["14", "13.6", "20", "19.2"]}
    fees = {"C-1": "1000", "C-2": "2000"}
    for i, first in enumerate([date(2026, m, 1) for m in (1, 2, 3, 4)]):
        end = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        for client_id, agreement_id in (("C-1", "A-1"), ("C-2", "A-2")):
            worked = first.replace(day=12)
            when = datetime(worked.year, worked.month, worked.day, 17, tzinfo=UTC)
            events.append(
                at(
                    when,
                    time_entry(
                        f"E-{client_id}-{i}", hours[client_id][i], worked, client_id, "T-1", agreement_id
                    ),
                )
            )
            billed = datetime(end.year, end.month, end.day, 18, tzinfo=UTC)
            fee_line = line("agreement_fee", fees[client_id], agreement_id, period=(first, end))
            events.append(
                at(billed, invoice(f"I-{client_id}-{i}", end, [fee_line], client_id), source="test.billing")
            )
        closed = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=7)
        events.append(tick(closed))
    return events


def update() -> bool:
    return os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")


def settings() -> Settings:
    return Settings(MSP_TRANSPORT="inprocess")


@pytest.mark.parametrize("transport", ["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
async def test_the_log_replays_to_the_golden_margin_events(
    transport: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if transport == "inprocess" and (update() or not LOG.exists()):
        eventlog.write(scenario(), LOG)
    options: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path}/cpi.db"}
    if transport == "kafka":  # the same golden file on Kafka + PostgreSQL
        options = {
            "kafka_bootstrap": request.getfixturevalue("kafka_bootstrap"),
            "database_url": request.getfixturevalue("postgres_url"),
        }
    result = await replay(create_service, settings(), LOG, transport=transport, **options)  # type: ignore[arg-type]
    assert result.dead_letters == []
    margin_events = [e for e in result.outputs if e.type == "client.profitability.changed"]
    assert_matches_golden(margin_events, EXPECTED)
    bands = [(e.data.client_id, e.data.period, e.data.band, e.data.problem_client) for e in margin_events]
    # The harness feeds the log in its order (across topics too), so each month is judged once, at
    # the tick after its grace period, with all its facts in. Contoso crosses to thin in February
    # (30 %, 10 points inside) and to critical in March (10 %), and is a problem client in April
    # (two months below 20 %; published by the trailing-mean trigger: March + April make 12.5 %
    # against 50 % in January + February, each month far below, 750 of profit lost); Fabrikam
    # crosses to healthy in March (50 %, 10 points inside).
    assert bands == [
        ("C-1", "2026-02", "thin", False),
        ("C-2", "2026-03", "healthy", False),
        ("C-1", "2026-03", "critical", False),
        ("C-1", "2026-04", "critical", True),
        # Fabrikam's April (52 %) is news since the 2-month persistence rule: March + April make
        # (1000 + 1040) / 4000 = 51 % against (1300 + 1320) / 4000 = 65.5 % in January + February,
        # 14.5 points (> 10), each month more than 10 under (50, 52), and 580 of profit (>= 500).
        # The first rule (April alone against the mean of 65, 66, 50 = 60.33) saw 8.3 points.
        ("C-2", "2026-04", "healthy", False),
    ]


async def test_the_log_shuffled_within_each_month_gives_the_same_ledger(tmp_path: Path) -> None:
    events = list(eventlog.read(LOG))
    by_month: dict[tuple[int, int], list[Envelope[Any]]] = {}
    for e in events:
        by_month.setdefault((e.time.year, e.time.month), []).append(e)
    shuffled = []
    rng = random.Random(7)
    for key in sorted(by_month):
        group = list(by_month[key])
        rng.shuffle(group)
        shuffled.extend(group)
    assert shuffled != events
    urls = [f"sqlite:///{tmp_path}/in_order.db", f"sqlite:///{tmp_path}/shuffled.db"]
    for url, log in zip(urls, (events, shuffled), strict=True):
        await replay(create_service, settings(), log, database_url=url)
    assert ledger_rows(urls[0]) == ledger_rows(urls[1])
    assert len(ledger_rows(urls[0])) == 8  # 2 clients x 4 months
