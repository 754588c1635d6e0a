"""Churn use cases over a migrated SQLite database: fallback, switch to the model, events, API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope
from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.testing.service import RunningService, running_service
from msp_events.types.billing import InvoiceIssued, InvoiceLine, PaymentReceived
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted, ClientUpserted, TicketUpdated

from cpi import api
from cpi.app import create_service
from cpi.churn import api as churn_api
from cpi.churn import services
from cpi.churn.repository import latest_scores
from cpi.churn.scoring import refresh
from cpi.churn.settings import ChurnSettings
from cpi.churn.tables import ChurnModel
from cpi.settings import Settings
from cpi.store.tables import METADATA

START = date(2025, 1, 1)


def usd(x: str) -> Money:
    return Money(amount=Decimal(x), currency="USD")


def t(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def month(i: int) -> date:
    return date(START.year + (START.month - 1 + i) // 12, (START.month - 1 + i) % 12 + 1, 1)


def uow_at(session: Session, now: datetime) -> UnitOfWork:
    cause = Envelope.build(ClockTicked(now=now), source="platform.clock", time=now)
    return UnitOfWork(session, cause, "cpi")


@pytest.fixture
async def cpi(tmp_path: Path) -> AsyncIterator[RunningService]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'cpi.db'}")
    async with running_service(RunningService, create_service, settings, [api.router, churn_api.router]) as r:
        yield r


def feed(session: Session, n_clients: int, churners: set[int], months: int) -> None:
    """A small MSP: every client has 2 tickets a month; churners give notice 2 months before
    leaving at the end of month 8, with breached tickets, negative CSAT and late payments first."""
    for c in range(n_clients):
        cid, churn = f"C{c:03d}", c in churners
        left = date(2025, 8, 31) if churn else None
        uow = uow_at(session, t(START))
        services.record_client_status(
            uow,
            ClientUpserted(
                client_id=cid, name=cid, status="active", created_on=date(2024, 1, 1), updated_at=t(START)
            ),
            t(START),
        )
        agreement: dict[str, Any] = {
            "agreement_id": f"A{c:03d}",
            "client_id": cid,
            "name": "Managed",
            "agreement_type": "managed_services",
            "start_date": date(2024, 1, 1),
            "end_date": date(2025, 12, 31),
            "billing_cycle": "monthly",
            "bill_amount": usd("1000"),
            "auto_renew": True,
            "updated_at": t(START),
        }
        services.record_agreement_term(uow, AgreementUpserted(**agreement), t(START))
        for i in range(months):
            m = month(i)
            if left is not None and m > left:
                break
            bad = churn and i >= 4
            for k in range(2 + 2 * bad):
                opened = t(m.replace(day=3 + k))
                services.record_ticket(
                    uow,
                    TicketUpdated(
                        ticket_id=f"T{c:03d}{i:02d}{k}",
                        client_id=cid,
                        board="Service Desk",
                        priority="p3",
                        status="closed",
                        opened_at=opened,
                        sla_breached=bad,
                        csat_rating="negative" if bad else ("positive" if k == 0 else None),
                        updated_at=opened + timedelta(days=1),
                    ),
                    opened,
                )
            due = m.replace(day=28)
            line = InvoiceLine(
                line_type="agreement_fee",
                description="fee",
                quantity=Decimal(1),
                unit_price=usd("1000"),
                amount=usd("1000"),
            )
            services.record_invoice_due(
                uow,
                InvoiceIssued(
                    invoice_id=f"I{c:03d}{i:02d}",
                    client_id=cid,
                    invoice_date=m,
                    due_date=due,
                    currency="USD",
                    lines=[line],
                    total=usd("1000"),
                ),
                t(m),
            )
            paid = due + timedelta(days=40 if bad else 0)
            services.record_payment(
                uow,
                PaymentReceived(
                    payment_id=f"P{c:03d}{i:02d}",
                    invoice_id=f"I{c:03d}{i:02d}",
                    client_id=cid,
                    received_on=paid,
                    amount=usd("1000"),
                ),
                t(paid),
            )
            if churn and i == 6:
                notice = t(m.replace(day=15))
                services.record_agreement_term(
                    uow,
                    AgreementUpserted(
                        **{**agreement, "end_date": left, "auto_renew": False, "updated_at": notice}
                    ),
                    notice,
                )
        if left is not None:
            gone = t(left, 17)
            services.record_client_status(
                uow,
                ClientUpserted(
                    client_id=cid,
                    name=cid,
                    status="churned",
                    created_on=date(2024, 1, 1),
                    churned_on=left,
                    updated_at=gone,
                ),
                gone,
            )
    session.commit()


def tick(session: Session, now: datetime, settings: ChurnSettings) -> UnitOfWork:
    uow = uow_at(session, now)
    refresh(uow, now, settings)
    session.commit()
    return uow


async def test_health_score_stands_in_below_the_outcome_threshold(cpi: RunningService) -> None:
    with cpi.session() as session:
        feed(session, n_clients=12, churners={1, 5, 9}, months=10)
        uow = tick(session, t(date(2025, 7, 1), 0), ChurnSettings(min_outcomes=30))
        scores = latest_scores(session)
        [model] = session.exec(select(ChurnModel)).all()
    assert model.method == "health_score"
    assert {s.method for s in scores.values()} == {"health_score"}
    assert scores["C001"].band in ("medium", "high") and scores["C000"].band == "low"
    assert scores["C001"].signals[0]["signal"] in ("sla_breach_rate", "csat_negative_rate", "days_late")
    assert {e.data.client_id for e in uow.emitted} == {"C001", "C005", "C009"}
    assert {e.data.method for e in uow.emitted} == {"health_score"}


async def test_the_model_takes_over_above_the_threshold_and_is_deterministic(cpi: RunningService) -> None:
    settings = ChurnSettings(min_outcomes=3)
    with cpi.session() as session:
        feed(session, n_clients=20, churners={1, 5, 9, 13}, months=14)
        tick(session, t(date(2026, 1, 1), 0), settings)
        [model] = session.exec(select(ChurnModel)).all()
        first = {k: (v.probability, v.band) for k, v in latest_scores(session).items()}
        scores = latest_scores(session)
    assert model.method == "model" and model.training_churns == 4 and model.training_rows > 0
    assert {s.method for s in scores.values()} == {"model"}
    assert all(s.model_trained_at == t(date(2026, 1, 1), 0) for s in scores.values())
    assert "C001" not in scores  # churned clients are no longer scored
    # the same facts retrained elsewhere (another database) give identical scores
    async for other in _another(cpi):
        with other.session() as session:
            feed(session, n_clients=20, churners={1, 5, 9, 13}, months=14)
            tick(session, t(date(2026, 1, 1), 0), settings)
            again = {k: (v.probability, v.band) for k, v in latest_scores(session).items()}
            [model2] = session.exec(select(ChurnModel)).all()
    assert again == first and model2.digest == model.digest and model2.params == model.params


async def _another(cpi: RunningService) -> AsyncIterator[RunningService]:
    url = str(cpi.service.engine.url).replace("cpi.db", "cpi2.db")
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=url)
    async with running_service(RunningService, create_service, settings, []) as r:
        yield r


async def test_a_band_change_publishes_exactly_one_event(cpi: RunningService) -> None:
    settings = ChurnSettings(min_outcomes=30)
    with cpi.session() as session:
        feed(session, n_clients=4, churners={1}, months=10)
        first = tick(session, t(date(2025, 7, 1), 0), settings)
        same_month = tick(session, t(date(2025, 7, 20), 0), settings)  # no rescoring within a month
        next_month = tick(session, t(date(2025, 8, 1), 0), settings)  # same band again: nothing
    [event] = first.emitted
    assert event.type == "client.churn.risk.changed"
    assert (event.data.client_id, event.data.previous_band, event.data.method) == (
        "C001",
        None,
        "health_score",
    )
    assert event.data.band in ("medium", "high") and event.data.summary
    assert same_month.emitted == []
    assert [e.data.band for e in next_month.emitted if e.data.band == event.data.band] == []


async def test_churn_risk_api(cpi: RunningService) -> None:
    with cpi.session() as session:
        feed(session, n_clients=6, churners={2}, months=8)
        tick(session, t(date(2025, 7, 1), 0), ChurnSettings())
    async with cpi.http() as client:
        page = (await client.get("/churn-risk")).json()
        high = (
            await client.get("/churn-risk", params={"band": "low", "sort": "client_id", "limit": 2})
        ).json()
    assert page["method"] == "health_score" and page["total"] == 6
    assert page["items"][0]["client_id"] == "C002"
    probabilities = [Decimal(i["probability"]) for i in page["items"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert [i["client_id"] for i in high["items"]] == ["C000", "C001"] and high["total"] == 5
    for bad in ({"band": "purple"}, {"sort": "name"}, {"limit": 0}, {"min_probability": 2}):
        await cpi.rejected("/churn-risk", bad)


async def test_migrations_match_the_churn_tables(cpi: RunningService) -> None:
    assert cpi.schema_drift(METADATA) == []


async def test_through_the_broker_a_clock_tick_scores_and_publishes_once(cpi: RunningService) -> None:
    created = ClientUpserted(
        client_id="C900", name="Acme", status="active", created_on=date(2024, 1, 1), updated_at=t(START)
    )
    events: list[Envelope[Any]] = [Envelope.build(created, source="psa.connectwise", time=t(START))]
    for i in range(6):
        for k in range(3):
            opened = t(month(i).replace(day=2 + k))
            ticket = TicketUpdated(
                ticket_id=f"T9{i}{k}",
                client_id="C900",
                board="Service Desk",
                priority="p2",
                status="closed",
                opened_at=opened,
                sla_breached=i >= 3,
                csat_rating="negative" if i >= 3 else None,
                updated_at=opened,
            )
            events.append(Envelope.build(ticket, source="psa.connectwise", time=opened))
    await cpi.deliver(*events)
    for day in (date(2025, 7, 1), date(2025, 7, 2)):
        await cpi.deliver(Envelope.build(ClockTicked(now=t(day, 0)), source="platform.clock", time=t(day, 0)))
    with cpi.session() as session:
        scores = latest_scores(session)
    assert scores["C900"].method == "health_score" and scores["C900"].band in ("medium", "high")
    [record] = cpi.system.bus.records("client.churn.risk.changed")  # the second tick is in the same month
    assert b"C900" in bytes(record.value)
