"""Win probability in the service: base rates until 20 closed deals, then a learned model that is
retrained on the month's first tick, scored with its method and why, and the same on a replay."""

from __future__ import annotations

import random
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.psa import ClientUpserted

from spo.domain.winprob import features
from spo.store.repository import OpportunityRepository
from spo.store.scores import SignalRepository

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import start_service, tick

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def deal(i: int, **changes: Any) -> OpportunityUpserted:
    fields: dict[str, Any] = {
        "opportunity_id": f"OPP-{i}",
        "name": f"Managed services {i}",
        "prospect_name": f"Prospect {i}",
        "stage": "proposed",
        "status": "open",
        "expected_close_date": date(2026, 3, 1),
        "estimated_recurring_monthly": Money(amount=Decimal("2000.00"), currency="USD"),
        "recurring_term_months": 36,
        "created_on": date(2025, 12, 1),
        "updated_at": T0,
    }
    return OpportunityUpserted(**{**fields, **changes})


def env(data: Any, time: datetime, source: str = "crm.connectwise") -> Envelope[Any]:
    return Envelope.build(data, source=source, time=time)


def history(n: int) -> list[Envelope[Any]]:
    """Closed deals: referrals mostly won, cold outreach mostly lost (the learnable driver)."""
    r = random.Random(7)
    out = []
    for i in range(n):
        referral = i % 2 == 0
        won = r.random() < (0.85 if referral else 0.15)
        at = T0 - timedelta(days=60 - i)
        out.append(
            env(
                deal(
                    i,
                    source="Referral" if referral else "Cold outreach",
                    status="won" if won else "lost",
                    stage="verbal" if won else "proposed",
                    closed_on=at.date(),
                    last_activity_at=at,
                    updated_at=at,
                ),
                at,
            )
        )
    return out


class Running(RunningService):
    event_type = "crm.opportunity.upserted"

    async def feed(self, *envelopes: Envelope[Any]) -> None:
        """A backlog published at once (handled in event-time order), quicker than one by one."""
        await self.system.publish(list(envelopes))
        await self.system.settle()


async def start(db: Path) -> AsyncIterator[Running]:
    async for running in start_service(db, Running):
        yield running


@pytest.fixture
async def spo(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "spo.db"):
        yield running


async def test_stage_base_rates_score_until_twenty_deals_have_closed(spo: Running) -> None:
    await spo.feed(*history(19), env(deal(100, stage="verbal"), T0), tick(T0))
    async with spo.http() as http:
        o = (await http.get("/opportunities/OPP-100")).json()
        model = (await http.get("/win-model")).json()
    assert (o["method"], o["win_probability"]) == ("stage_base_rate", "0.8000")
    assert "stage base rate" in o["why"]
    assert (model["method"], model["closed_deals"]) == ("stage_base_rate", 19)


async def test_the_learned_model_scores_and_explains_once_enough_deals_closed(spo: Running) -> None:
    open_deals = [
        env(deal(200, source="Referral", last_activity_at=T0), T0),
        env(deal(201, source="Cold outreach", last_activity_at=T0), T0),
    ]
    await spo.feed(*history(40), *open_deals)
    async with spo.http() as http:
        before = (await http.get("/opportunities/OPP-200")).json()
        await spo.deliver(tick(T0 + timedelta(hours=1)))
        model = (await http.get("/win-model")).json()
        ranked = (await http.get("/opportunities", params={"status": "open", "sort": "probability"})).json()
        detail = (await http.get("/opportunities/OPP-200")).json()
    assert before["method"] == "stage_base_rate"
    assert (model["method"], model["closed_deals"]) == ("model", 40)
    assert float(model["cv_auc"]) > 0.7
    assert [o["opportunity_id"] for o in ranked] == ["OPP-200", "OPP-201"]
    referral, cold = ranked
    assert referral["method"] == "model" and float(referral["win_probability"]) > float(
        cold["win_probability"]
    )
    assert "source Referral" in referral["why"]
    assert any(r["feature"] == "source" and r["contribution"] > 0 for r in referral["reasons"])
    assert [h["method"] for h in detail["history"]] == ["stage_base_rate", "model"]


async def test_margin_reports_from_cpi_and_the_clients_industry_become_features(spo: Running) -> None:
    report = ClientProfitabilityChanged(
        client_id="C-1",
        period="2025-12",
        gross_margin_pct=Decimal("12.5"),
        band="critical",
        direction="down",
        revenue=Money(amount=Decimal("1000"), currency="USD"),
        cost=Money(amount=Decimal("875"), currency="USD"),
        labour_hours=Decimal("10"),
        summary="margin fell",
    )
    client = ClientUpserted(
        client_id="C-1", name="Contoso", status="active", industry="Legal", employee_count=45,
        created_on=date(2020, 1, 1), updated_at=T0,
    )  # fmt: skip
    opportunity = deal(300, client_id="C-1", prospect_name=None, created_on=date(2026, 1, 1))
    await spo.deliver(env(report, T0, "spo.test"), env(client, T0, "psa.connectwise"), env(opportunity, T0))
    with spo.session() as session:
        history = SignalRepository(session).histories(["C-1"])["C-1"]
        row = OpportunityRepository(session).get("OPP-300")
    assert row is not None
    cells = features(row, history.at(T0), date(2026, 1, 5))
    assert (cells["client_margin_pct"], cells["client_margin_band"]) == ("12.5", "critical")
    assert (cells["client_industry"], cells["client_size"], cells["existing_client"]) == (
        "Legal",
        "45",
        "yes",
    )
    assert cells["age_days"] == "4"


async def test_retraining_on_demand_needs_a_clock_then_retrains(spo: Running) -> None:
    async with spo.http() as http:
        refused = await http.post("/win-model/retrain")
        await spo.feed(*history(30), tick(T0))
        retrained = await http.post("/win-model/retrain")
    assert refused.status_code == 409 and "clock.ticked" in refused.json()["detail"]
    assert retrained.status_code == 200
    assert (retrained.json()["version"], retrained.json()["method"]) == (2, "model")


async def test_a_replay_trains_the_same_model_and_scores_alike(tmp_path: Path) -> None:
    log = [*history(40), env(deal(400, source="Referral"), T0), tick(T0 + timedelta(hours=1))]
    seen = []
    for name in ("first", "replay"):
        async for running in start(tmp_path / f"{name}.db"):
            await running.feed(*log)
            async with running.http() as http:
                seen.append(
                    ((await http.get("/opportunities/OPP-400")).json(), (await http.get("/win-model")).json())
                )
    assert seen[0] == seen[1]


async def test_the_forecast_api_weights_the_pipeline_and_flags_hygiene(spo: Running) -> None:
    async with spo.http() as http:
        before = await http.get("/pipeline/forecast")
        await spo.feed(
            env(deal(500, stage="verbal", estimated_one_time=Money(amount=Decimal("1000"), currency="USD"),
                     last_activity_at=T0 - timedelta(days=30)), T0),
            tick(T0),
        )  # fmt: skip
        answer = await http.get("/pipeline/forecast", params={"months": 3})
        bad = await http.get("/pipeline/forecast", params={"months": 0})
    assert before.status_code == 409
    body = answer.json()
    [month] = body["months"]  # base rate 0.80 on 2,000 MRR and 1,000 one-time, closing 2026-03
    assert month["month"] == "2026-03"
    assert month["weighted_recurring_monthly"] == {"amount": "1600.00", "currency": "USD"}
    assert month["weighted_one_time"] == {"amount": "800.00", "currency": "USD"}
    assert month["one_time_bookings"]["p90"] == {"amount": "1000.00", "currency": "USD"}
    assert [(f["opportunity_id"], f["kind"]) for f in body["hygiene"]] == [
        ("OPP-500", "no_activity_escalate")
    ]
    assert bad.status_code == 422


async def test_a_prospects_industry_and_size_and_the_products_quoted_are_learned(spo: Running) -> None:
    """``crm.opportunity.upserted`` 1.1: prospects in legal mostly win, in retail mostly lose."""
    r = random.Random(3)
    closed = []
    for i in range(40):
        legal = i % 2 == 0
        won = r.random() < (0.85 if legal else 0.15)
        at = T0 - timedelta(days=60 - i)
        closed.append(
            env(
                deal(i, prospect_industry="Legal" if legal else "Retail", prospect_employee_count=20 + i,
                     products=["backup", "m365"] if i % 3 else ["m365"], status="won" if won else "lost",
                     closed_on=at.date(), last_activity_at=at, updated_at=at),
                at,
            )
        )  # fmt: skip
    legal, retail = (
        env(deal(600 + k, prospect_industry=industry, prospect_employee_count=45, products=["m365", "backup"],
                 last_activity_at=T0), T0)
        for k, industry in enumerate(("Legal", "Retail"))
    )  # fmt: skip
    await spo.feed(*closed, tick(T0), legal, retail)
    async with spo.http() as http:
        ranked = (await http.get("/opportunities", params={"status": "open", "sort": "probability"})).json()
    with spo.session() as session:
        row = OpportunityRepository(session).get("OPP-600")
    assert row is not None
    cells = features(row, None, date(2026, 1, 5))
    assert (cells["client_industry"], cells["client_size"], cells["existing_client"]) == ("Legal", "45", "no")
    assert (cells["products"], cells["product_count"]) == ("backup;m365", "2")
    assert [o["opportunity_id"] for o in ranked] == ["OPP-600", "OPP-601"]
    assert ranked[0]["method"] == "model" and "client_industry Legal" in ranked[0]["why"]
