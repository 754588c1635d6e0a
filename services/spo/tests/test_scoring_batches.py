"""Scoring a batch's deals together changes only the time taken.

A history of closed deals (referrals mostly won), a tick that trains the model, then a burst of
open deals: new logos and existing clients, a deal changed twice in the burst, a margin report and
a client's new size between deals (which change what the next deals score), the same version
again and an older one arriving after the newer (only its stage counts, as the furthest reached),
a second day's tick (which rescores everything) and more deals after it. The log goes through SPO twice on the
in-process transport: one message per batch (each deal scored alone, at once) and 500 per batch
(the batch's deals scored with one model call before it commits). Both runs must publish the same
events and end with the same opportunities, scores and score history, byte for byte; the model must have
scored (not the base rates), and the 500 run must have scored deals together (one ``score_at``
call for many deals), so that the batched path is the one compared. (On this transport a batch
holds one topic's messages, so the margin report and the client change fall between deal batches;
the flush of held scores before such messages guards transports that mix them.)
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from msp_events import Envelope, Money, eventlog
from msp_events.testing.replay import replay
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.psa import ClientUpserted

from spo import winning
from spo.app import create_service
from spo.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import tick

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAGES = ["identified", "qualified", "assessment", "proposed", "verbal"]


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def deal(i: int, at: datetime, r: random.Random, **changes: Any) -> Envelope[OpportunityUpserted]:
    client = r.choice([None, "C-1", "C-2"])
    fields: dict[str, Any] = {
        "opportunity_id": f"OPP-{i}",
        "name": f"Managed services {i}",
        "client_id": client,
        "prospect_name": None if client else f"Prospect {i}",
        "stage": r.choice(STAGES),
        "status": "open",
        "expected_close_date": date(2026, 3, 1),
        "source": r.choice(["Referral", "Cold outreach", "Web"]),
        "estimated_recurring_monthly": usd(str(r.randint(500, 6000))),
        "recurring_term_months": 36,
        "created_on": (at - timedelta(days=r.randint(3, 90))).date(),
        "last_activity_at": at - timedelta(days=r.randint(0, 30)),
        "updated_at": at,
    }
    return Envelope.build(OpportunityUpserted(**{**fields, **changes}), source="crm.connectwise", time=at)


def client(client_id: str, size: int, at: datetime) -> Envelope[ClientUpserted]:
    data = ClientUpserted(
        client_id=client_id, name="Contoso", status="active", industry="Legal", employee_count=size,
        created_on=date(2020, 1, 1), updated_at=at,
    )  # fmt: skip
    return Envelope.build(data, source="psa.connectwise", time=at)


def margin(
    client_id: str, period: str, pct: str, band: str, at: datetime
) -> Envelope[ClientProfitabilityChanged]:
    data = ClientProfitabilityChanged(
        client_id=client_id, period=period, gross_margin_pct=Decimal(pct), band=band, direction="down",
        revenue=usd("1000"), cost=usd(str(1000 - int(Decimal(pct) * 10))), labour_hours=Decimal("10"),
        summary="margin changed",
    )  # fmt: skip
    return Envelope.build(data, source="spo.test", time=at)


def scenario() -> list[Envelope[Any]]:
    r = random.Random(11)
    before = T0 - timedelta(days=70)
    log: list[Envelope[Any]] = [
        client("C-1", 30, before),
        client("C-2", 400, before),
        margin("C-1", "2025-10", "41.0", "healthy", before),
        margin("C-2", "2025-10", "22.0", "thin", before),
    ]
    for i in range(40):
        at = T0 - timedelta(days=60 - i)
        referral = i % 2 == 0
        won = r.random() < (0.85 if referral else 0.15)
        log.append(
            deal(
                i, at, r, source="Referral" if referral else "Cold outreach",
                status="won" if won else "lost", stage="verbal" if won else "proposed", closed_on=at.date(),
            )
        )  # fmt: skip
    log.append(tick(T0))
    minute = timedelta(minutes=1)
    at = T0 + minute
    for i in range(100, 130):
        log.append(deal(i, at, r))
        at += minute
    log.append(deal(105, at, r, stage="verbal", client_id="C-1", prospect_name=None))  # changed twice
    log.append(deal(105, at, r, stage="verbal", client_id="C-1", prospect_name=None))  # and the same again
    stale = deal(106, T0, r, stage="verbal")  # an older version, after the newer: only its stage counts
    log.append(Envelope.build(stale.data, source="crm.connectwise", time=at))
    log.append(margin("C-2", "2025-12", "8.5", "critical", at + minute))  # the next C-2 deals score with it
    log.append(client("C-1", 260, at + 2 * minute))  # and C-1's with the new size
    at += 3 * minute
    for i in range(130, 150):
        log.append(deal(i, at, r))
        at += minute
    log.append(tick(T0 + timedelta(days=1)))  # a new day: every open deal is rescored
    at = T0 + timedelta(days=1, minutes=1)
    for i in range(150, 165):
        log.append(deal(i, at, r))
        at += minute
    return log


def scores(url: str) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Every opportunity row (CRM and score columns) and the score history."""
    engine = create_engine(url)
    with engine.connect() as c:
        current = c.execute(text("SELECT * FROM opportunities ORDER BY opportunity_id")).all()
        history = c.execute(
            text(
                "SELECT opportunity_id, scored_at, probability, method, why, model_version"
                " FROM opportunity_scores ORDER BY opportunity_id, scored_at"
            )
        ).all()
    engine.dispose()
    return list(current), [tuple(row) for row in history]


async def test_batched_and_one_by_one_scoring_give_the_same_events_and_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "deals.jsonl"
    eventlog.write(scenario(), log)
    scored_together: dict[int, list[int]] = {1: [], 500: []}
    runs = {}
    for batch_size in (1, 500):
        calls = scored_together[batch_size]
        score_at = winning.score_at

        def counting(
            session: Any, deals: Any, config: Any, calls: list[int] = calls, f: Any = score_at
        ) -> int:
            calls.append(len(deals))
            return int(f(session, deals, config))

        monkeypatch.setattr(winning, "score_at", counting)
        url = f"sqlite:///{tmp_path}/spo-{batch_size}.db"
        settings = Settings(MSP_TRANSPORT="inprocess", CONSUMER_BATCH_SIZE=batch_size)
        result = await replay(create_service, settings, log, database_url=url, timeout_s=300)
        assert result.dead_letters == []
        runs[batch_size] = ([eventlog.dumps(e) for e in result.outputs], scores(url))
        monkeypatch.undo()
    one, many = runs[1], runs[500]
    current, history = one[1]
    model_scored = [row for row in current if row.win_method == "model"]
    furthest = {row.opportunity_id: (row.stage, row.furthest_stage) for row in current}
    assert furthest["OPP-106"][1] == "verbal" and furthest["OPP-106"][0] != "verbal"
    assert len(model_scored) >= 60, f"only {len(model_scored)} open deals scored by the model"
    assert len(history) > len(model_scored)  # the second day and the changed deal added history
    # one call per deal message (and one per tick) against one per batch
    assert len(scored_together[1]) >= 100 and len(scored_together[500]) <= 10, scored_together
    assert one[0] == many[0]
    assert current == many[1][0]
    assert history == many[1][1]
