"""SPO's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from msp_events.runtime.uow import UnitOfWork

from spo import winning
from spo.domain.opportunities import OpportunityVersion
from spo.store.scores import SignalRepository
from spo.winning import WinConfig


def record_opportunity(uow: UnitOfWork, opportunity: OpportunityVersion, config: WinConfig) -> None:
    """Keep the opportunity's latest state and score it (a stale or repeated version changes
    nothing but the furthest stage reached): with the batch's other deals (``winning.hold``)."""
    winning.hold(uow, opportunity, config)


def record_margin(
    uow: UnitOfWork, client_id: str, period: str, pct: Decimal, band: str, config: WinConfig
) -> None:
    """Keep CPI's margin reading (in force from this event's time, not the clock's) and
    re-feature the client's deals it reached late."""
    winning.flush_held(uow)
    SignalRepository(uow.session).margin(client_id, uow.cause.time, period, pct, band)
    winning.refeature(uow.session, client_id, uow.cause.time, config)


def record_churn_risk(
    uow: UnitOfWork, client_id: str, as_of: date, probability: Decimal, config: WinConfig
) -> None:
    """Keep CPI's churn reading (in force from this event's time, not the clock's), as ``record_margin``."""
    winning.flush_held(uow)
    SignalRepository(uow.session).churn(client_id, uow.cause.time, as_of, probability)
    winning.refeature(uow.session, client_id, uow.cause.time, config)


def on_clock(uow: UnitOfWork, config: WinConfig) -> None:
    winning.flush_held(uow)
    winning.on_tick(uow.session, uow.now, config)


def settle_scores(uow: UnitOfWork) -> None:
    """Record the batch's held scores before a message that is not a deal change is handled."""
    winning.flush_held(uow)
