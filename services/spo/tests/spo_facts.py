"""Shared by SPO's service tests: start SPO alone, money and clock ticks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.platform import ClockTicked

from spo import api
from spo.app import create_service
from spo.settings import Settings

R = TypeVar("R", bound=RunningService)


async def start_service(db: Path, kind: type[R], **settings: str) -> AsyncIterator[R]:
    """SPO on the in-process transport with a SQLite file."""
    config = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}", **settings)  # type: ignore[arg-type]
    async with running_service(kind, create_service, config, [api.router]) as running:
        yield running


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def tick(at: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=at, granularity="day"), source="platform.clock", time=at)
