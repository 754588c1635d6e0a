"""The unit of work a handler receives: one transaction, one cause, the events it emits.

The runtime opens it, claims the inbox record, runs the handler and writes the emitted events to
the outbox inside the same transaction; the handler only changes state and calls ``emit``.

The messages of one batch share a ``Batch``: derived state that many messages in a row would each
rebuild (a ledger's aggregates, say) may be *deferred* to one set-wise step before the batch
commits. Deferred work changes state only and cannot emit, so what a message emits never depends
on where the batch boundaries fell; a handler that reads the derived state flushes it first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from msp_events.envelope import Envelope, derived_event_id
from msp_events.registry import SERVICES, EventData, spec_for
from msp_events.runtime.store import service_clock

GLOBAL_CLOCK = "utc"


class Deferred(Protocol):
    """Work accumulated across a batch's messages and done once, set-wise, before it commits."""

    def flush(self, session: Session) -> None: ...


class DeferredWorkFailed(Exception):
    """Deferred work failed (wherever it was flushed): no single message can be blamed yet, so the
    runtime runs the batch again with every message doing its own work."""


W = TypeVar("W", bound=Deferred)


class Batch:
    """What the messages of one batch transaction share.

    ``deferring`` is off when the runtime has to attribute failures to single messages (a batch
    replayed after a failure runs every message in its own savepoint): then ``deferred`` returns
    ``None`` and the handler does its work at once, exactly as it would without batching.
    """

    def __init__(self, *, deferring: bool = False) -> None:
        self.deferring = deferring
        self._work: dict[str, Deferred] = {}
        self.known_clock: tuple[datetime | None] | None = None  # shared by its messages

    def deferred(self, name: str, start: Callable[[], W]) -> W | None:
        """The batch's pending work called ``name`` (begun with ``start()`` if none is pending),
        or ``None`` when this batch does not defer."""
        if not self.deferring:
            return None
        work = self._work.get(name)
        if work is None:
            work = self._work[name] = start()
        return work  # type: ignore[return-value]

    def flush(self, session: Session, name: str | None = None) -> None:
        """Do the pending work (all of it, or the one called ``name``) now."""
        names = list(self._work) if name is None else [name] if name in self._work else []
        for n in names:
            try:
                self._work.pop(n).flush(session)
            except OperationalError:
                raise  # the database is unreachable: the runtime retries the batch
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise
                raise DeferredWorkFailed(str(exc)) from exc
            except DeferredWorkFailed:
                raise
            except Exception as exc:
                raise DeferredWorkFailed(str(exc)) from exc

    @property
    def pending(self) -> bool:
        return bool(self._work)


class OwnershipError(Exception):
    """A service tried to publish an event type it does not own."""


class UnitOfWork:
    def __init__(
        self, session: Session, cause: Envelope[Any], service: str, batch: Batch | None = None
    ) -> None:
        self.session = session
        self.cause = cause
        self.service = service
        self.batch = batch or Batch()
        self.emitted: list[Envelope[Any]] = []
        # read once (once a batch when it defers: no savepoint can undo a tick then); only
        # advance_clock changes it
        self._clock: tuple[datetime | None] | None = self.batch.known_clock if self.batch.deferring else None

    @property
    def clock(self) -> datetime | None:
        """The latest ``clock.ticked`` time this service has seen, if any."""
        if self._clock is None:
            self._set_clock(
                self.session.execute(
                    select(service_clock.c.now).where(service_clock.c.clock == GLOBAL_CLOCK)
                ).scalar_one_or_none()
            )
        assert self._clock is not None
        return self._clock[0]

    def _set_clock(self, now: datetime | None) -> None:
        self._clock = (now,)
        if self.batch.deferring:
            self.batch.known_clock = self._clock

    @property
    def now(self) -> datetime:
        """The system's "now": the later of the latest clock tick and this event's time."""
        tick = self.clock
        return max(tick, self.cause.time) if tick is not None else self.cause.time

    def emit(self, data: EventData, *, time: datetime | None = None) -> Envelope[Any]:
        """Publish ``data`` as a consequence of the event being handled (via the outbox).

        Its event time is the cause's, or ``time`` when the event happens later than its cause (a
        correction dated no earlier than the event it corrects); ``time`` earlier than the cause's
        raises ``ValueError``: an effect never precedes its cause. The id is derived as always."""
        self._check_owner(data)
        envelope = self.cause.caused(
            data, source=f"msp.{self.service}", producer=self.service, seq=len(self.emitted), time=time
        )
        self.emitted.append(envelope)
        return envelope

    def emit_effect_of(
        self, data: EventData, *, source: str, id: str, correlationid: str, time: datetime, seq: int = 0
    ) -> Envelope[Any]:
        """Publish ``data`` as the effect of an *earlier* event (``source``/``id``), not of the one
        being handled: for an outcome that several events can complete (the last vote or the
        deadline's tick closes a decision), so its id, causation and time come from the facts and
        not from whichever of them happened to arrive last. ``seq`` tells this producer's effects
        of that event apart."""
        self._check_owner(data)
        envelope = Envelope.build(
            data,
            source=f"msp.{self.service}",
            time=time,
            id=derived_event_id(source, id, self.service, seq),
            correlationid=correlationid,
            causationid=id,
        )
        self.emitted.append(envelope)
        return envelope

    def _check_owner(self, data: EventData) -> None:
        spec = spec_for(data)
        if spec.owner != self.service and not (spec.owner == "agents" and self.service in SERVICES):
            raise OwnershipError(f"{self.service} may not publish {spec.type}; its owner is {spec.owner}")

    # -- used by the runtime ----------------------------------------------------------------------
    def advance_clock(self, now: datetime) -> None:
        """Move the service clock forward; a late tick never moves it back."""
        current = self.clock
        if current is None:
            self.session.execute(service_clock.insert().values(clock=GLOBAL_CLOCK, now=now))
            self._set_clock(now)
        elif now > current:
            self.session.execute(
                service_clock.update().where(service_clock.c.clock == GLOBAL_CLOCK).values(now=now)
            )
            self._set_clock(now)
