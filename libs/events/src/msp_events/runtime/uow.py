"""The unit of work a handler receives: one transaction, one cause, the events it emits.

The runtime opens it, claims the inbox record, runs the handler and writes the emitted events to
the outbox inside the same transaction; the handler only changes state and calls ``emit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from msp_events.envelope import Envelope
from msp_events.registry import SERVICES, EventData, spec_for
from msp_events.runtime.store import service_clock

GLOBAL_CLOCK = "utc"


class OwnershipError(Exception):
    """A service tried to publish an event type it does not own."""


class UnitOfWork:
    def __init__(self, session: Session, cause: Envelope[Any], service: str) -> None:
        self.session = session
        self.cause = cause
        self.service = service
        self.emitted: list[Envelope[Any]] = []
        self._clock: tuple[datetime | None] | None = None  # read once: only advance_clock changes it

    @property
    def clock(self) -> datetime | None:
        """The latest ``clock.ticked`` time this service has seen, if any."""
        if self._clock is None:
            self._clock = (
                self.session.execute(
                    select(service_clock.c.now).where(service_clock.c.clock == GLOBAL_CLOCK)
                ).scalar_one_or_none(),
            )
        return self._clock[0]

    @property
    def now(self) -> datetime:
        """The system's "now": the later of the latest clock tick and this event's time."""
        tick = self.clock
        return max(tick, self.cause.time) if tick is not None else self.cause.time

    def emit(self, data: EventData) -> Envelope[Any]:
        """Publish ``data`` as a consequence of the event being handled (via the outbox)."""
        spec = spec_for(data)
        if spec.owner != self.service and not (spec.owner == "agents" and self.service in SERVICES):
            raise OwnershipError(f"{self.service} may not publish {spec.type}; its owner is {spec.owner}")
        envelope = self.cause.caused(
            data, source=f"msp.{self.service}", producer=self.service, seq=len(self.emitted)
        )
        self.emitted.append(envelope)
        return envelope

    # -- used by the runtime ----------------------------------------------------------------------
    def advance_clock(self, now: datetime) -> None:
        """Move the service clock forward; a late tick never moves it back."""
        current = self.clock
        if current is None:
            self.session.execute(service_clock.insert().values(clock=GLOBAL_CLOCK, now=now))
            self._clock = (now,)
        elif now > current:
            self.session.execute(
                service_clock.update().where(service_clock.c.clock == GLOBAL_CLOCK).values(now=now)
            )
            self._clock = (now,)
