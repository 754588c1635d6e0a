"""CPI's margin and churn readings join a deal as of its time: a closed deal as it stood when it
closed (training), an open deal when it is scored; a reading that arrives late re-features only the
open deals scored after its time, so the scores do not depend on the delivery order."""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import permutations
from pathlib import Path
from typing import Any

from msp_events import Envelope
from msp_events.types.agents import ClientChurnRiskChanged, ClientProfitabilityChanged

from spo.domain.opportunities import OpportunityVersion
from spo.domain.signals import ChurnReading, MarginReading, SignalHistory, seen_at
from spo.winning import training_rows

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import tick, usd
from test_win_service import Running, deal, env, start
from test_win_service import spo as spo  # the fixture: SPO alone on SQLite

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def margin(observed: datetime, period: str, pct: str, band: str = "healthy") -> MarginReading:
    return MarginReading(observed, period, Decimal(pct), band)


def test_the_reading_in_force_is_the_latest_period_known_by_then() -> None:
    history = SignalHistory(
        margins=(
            margin(at(1), "2026-01", "40"),
            margin(at(10), "2026-02", "12", "critical"),
            margin(at(20), "2026-01", "38"),  # a late re-report of an older month
        ),
        churn=(ChurnReading(at(5), date(2026, 3, 4), Decimal("0.7")),),
        industry="Legal",
    )
    before = history.at(at(1) - timedelta(seconds=1))
    assert (before.margin_pct, before.churn_probability, before.industry) == (None, None, "Legal")
    assert (history.at(at(1)).margin_pct, history.at(at(1)).churn_probability) == (Decimal(40), None)
    assert history.at(at(5)).churn_probability == Decimal("0.7")
    assert (history.at(at(10)).margin_pct, history.at(at(10)).margin_band) == (Decimal(12), "critical")
    assert history.at(at(25)).margin_pct == Decimal(12)  # February stays in force after March's 20th


def test_the_reading_in_force_does_not_depend_on_the_order_readings_are_kept() -> None:
    readings = [
        margin(at(3), "2026-02", "20", "thin"),
        margin(at(3), "2026-02", "22", "thin"),  # two reports of the same month at the same time
        margin(at(2), "2026-02", "30"),
    ]
    seen = {SignalHistory(margins=tuple(order)).at(at(4)) for order in permutations(readings)}
    assert [s.margin_pct for s in seen] == [Decimal(22)]


def test_a_closed_deal_is_seen_at_the_start_of_its_close_day_and_an_open_one_when_scored() -> None:
    o = OpportunityVersion(
        "O-1", "Deal", "C-1", None, "proposed", "won", None, date(2026, 3, 9), None, None, None, None,
        None, date(2026, 3, 8), at(8, 15), "d",
    )  # fmt: skip
    assert seen_at(o, at(30)) == at(8)
    assert seen_at(o.__class__(**{**o.__dict__, "status": "open", "closed_on": None}), at(30)) == at(30)


def report(client_id: str, period: str, pct: str, band: str) -> ClientProfitabilityChanged:
    return ClientProfitabilityChanged(
        client_id=client_id,
        period=period,
        gross_margin_pct=Decimal(pct),
        band=band,
        direction="down",
        revenue=usd("1000"),
        cost=usd(str(1000 - 10 * int(pct))),
        labour_hours=Decimal("10"),
        summary="margin",
    )


def churn(client_id: str, probability: str, as_of: date) -> ClientChurnRiskChanged:
    return ClientChurnRiskChanged(
        client_id=client_id,
        as_of=as_of,
        probability=Decimal(probability),
        band="high",
        method="health_score",
        horizon_months=3,
        training_rows=0,
        summary="risk",
    )


def cpi(data: Any, time: datetime) -> Envelope[Any]:
    return env(data, time, "agent.cpi")


def history() -> list[Envelope[Any]]:
    """Clients G0-G4 report a sound margin, B0-B4 a critical one, 70 days before their deals
    close: the sound ones mostly win. Client Z was sound while its deals closed and turned critical
    after (only the as-of join sees it sound)."""
    r = random.Random(5)
    start = T0 - timedelta(days=100)
    out = [cpi(report(f"G{i}", "2025-09", "45", "healthy"), start) for i in range(5)]
    out += [cpi(report(f"B{i}", "2025-09", "4", "critical"), start) for i in range(5)]
    out += [
        cpi(report("Z", "2025-09", "45", "healthy"), start),
        cpi(report("Z", "2025-12", "3", "critical"), T0 - timedelta(days=5)),
        cpi(churn("Z", "0.8", (T0 - timedelta(days=5)).date()), T0 - timedelta(days=5)),
    ]
    for i in range(44):
        client = f"G{i % 5}" if i % 2 == 0 else f"B{i % 5}"
        if i >= 40:
            client = "Z"
        won = r.random() < (0.85 if client[0] in "GZ" else 0.15)
        closed = T0 - timedelta(days=30 - i // 2)
        out.append(
            env(
                deal(i, client_id=client, prospect_name=None, source="Existing client",
                     status="won" if won else "lost", stage="proposed", closed_on=closed.date(),
                     last_activity_at=closed, updated_at=closed),
                closed,
            )
        )  # fmt: skip
    return [*out, tick(T0)]


async def test_training_features_each_closed_deal_with_the_readings_known_then(spo: Running) -> None:
    await spo.feed(*history())
    with spo.session() as session:
        closed, rows, _ = training_rows(session, T0)
    cells = {o.opportunity_id: row for o, row in zip(closed, rows, strict=True)}
    z = [cells[f"OPP-{i}"] for i in range(40, 44)]
    assert {(c["client_margin_band"], c["client_churn_probability"]) for c in z} == {("healthy", "")}
    assert cells["OPP-1"]["client_margin_band"] == "critical"


def open_deal(i: int) -> Envelope[Any]:
    """Client X's deal, changed at T0 + 3 h (X has no reading before)."""
    at = T0 + timedelta(hours=3)
    return env(
        deal(
            i, client_id="X", prospect_name=None, source="Existing client", last_activity_at=T0, updated_at=at
        ),
        at,
    )


async def test_a_late_reading_rescores_the_deals_it_reaches_as_if_it_had_come_in_time(tmp_path: Path) -> None:
    late = cpi(report("X", "2025-12", "3", "critical"), T0 + timedelta(hours=2))
    seen = []
    for name, order in (("in_time", (late, open_deal(90))), ("late", (open_deal(90), late))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.feed(*history())
            async with running.http() as http:
                await running.deliver(order[0])
                first = (await http.get("/opportunities/OPP-90")).json()
                await running.deliver(order[1])
                seen.append((first, (await http.get("/opportunities/OPP-90")).json()))
    (_, in_time), (unknown, rescored) = seen
    assert rescored == in_time  # score, why, reasons and history
    assert in_time["method"] == "model"
    assert Decimal(in_time["win_probability"]) < Decimal(unknown["win_probability"])
    assert any(r["feature"].startswith("client_margin") for r in in_time["reasons"])
    assert [h["scored_at"] for h in rescored["history"]] == [h["scored_at"] for h in unknown["history"]]


async def test_a_reading_after_a_deal_was_scored_leaves_its_score(spo: Running) -> None:
    await spo.feed(*history(), open_deal(91))
    async with spo.http() as http:
        before = (await http.get("/opportunities/OPP-91")).json()
        await spo.deliver(cpi(report("X", "2025-12", "3", "critical"), T0 + timedelta(hours=4)))
        after = (await http.get("/opportunities/OPP-91")).json()
    assert after == before
