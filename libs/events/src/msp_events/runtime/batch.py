"""Applying one batch of records to a service's database: exactly-once effects, few round trips.

The whole batch is one transaction. On the fast path every message runs without a savepoint, the
inbox records of the batch are claimed with one statement and the emitted events are appended
with one statement, so a batch costs a handful of round trips instead of four per message. When a
handler fails, the transaction is rolled back and the batch replayed with that message marked
*suspect*: suspects run inside their own savepoint, with bounded retries, and are dead-lettered if
they still fail, while the other messages keep the fast path. Handlers are deterministic functions
of the event and the database, so running the good ones again changes nothing but the time taken.

On the fast path the messages share a ``Batch`` that lets handlers defer derived-state work (and
their own writes) to one set-wise step before the commit (``UnitOfWork.batch``). Deferred work may
emit on the unit of work of the message it belongs to, so the fast path appends the batch's events
to the outbox after that step, in message order. A replayed batch does not defer, so that a
failure in work that would have been deferred is attributed to the message that caused it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from msp_events.codec.errors import DecodeError, Reason
from msp_events.codec.kafka import decode
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY, input_topic
from msp_events.runtime.delivery import InboxKey, append_outbox, claim_inbox, inbox_key
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.plausibility import PlausibilityWindow, refuse_implausible
from msp_events.runtime.router import HandlerRouter, Route
from msp_events.runtime.transport import Record
from msp_events.runtime.uow import Batch, DeferredWorkFailed, UnitOfWork
from msp_events.types.platform import ClockTicked


@dataclass
class DeadLetter:
    record: Record
    reason: Reason
    detail: str
    attempts: int
    type: str = "unknown"


@dataclass
class BatchOutcome:
    """What a committed batch did; metrics are recorded from it only after the commit."""

    handled: list[tuple[str, float]] = field(default_factory=list)  # (type, handler seconds)
    duplicates: list[str] = field(default_factory=list)  # types
    emitted: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)


class InfrastructureError(Exception):
    """The database is unreachable or broke mid-batch: retry the batch, never dead-letter it."""


@dataclass(frozen=True)
class _Message:
    record: Record
    envelope: Envelope[Any] | None
    route: Route | None
    undecodable: DeadLetter | None


@dataclass
class _Suspect:
    attempts: int  # attempts already spent on it
    rejection: str | None = None  # a PermanentError's message: never run it again
    reason: Reason = Reason.HANDLER_REJECTED  # and its reason


class _DeferredWorkFailed(Exception):
    """Work deferred to the end of the batch failed: no single message can be blamed yet."""


class _FastPathFailed(Exception):
    def __init__(self, key: InboxKey, type_name: str, error: Exception) -> None:
        super().__init__(str(error))
        self.key, self.type_name, self.error = key, type_name, error


@dataclass(frozen=True)
class BatchPolicy:
    max_attempts: int = 3
    retry_backoff_s: float = 0.05
    max_message_bytes: int = 1_000_000
    plausibility: PlausibilityWindow = field(default_factory=PlausibilityWindow)


class BatchApplier:
    def __init__(
        self,
        *,
        service: str,
        router: HandlerRouter,
        engine: Engine,
        metrics: RuntimeMetrics,
        policy: BatchPolicy,
    ) -> None:
        self.service = service
        self.router = router
        self.engine = engine
        self.metrics = metrics
        self.policy = policy

    def apply(self, records: list[Record]) -> BatchOutcome:
        messages = [self._decode(record) for record in records]
        for message in messages:
            if message.envelope is not None and message.envelope.type == "clock.ticked":
                self.metrics.observe_tick(message.envelope.time.timestamp())
        suspects: dict[InboxKey, _Suspect] = {}
        deferring = True
        while True:
            try:
                with Session(self.engine) as session:
                    outcome = self._pass(session, messages, suspects, Batch(deferring=deferring))
                    session.commit()
            except _DeferredWorkFailed:
                deferring = False  # run again with every message doing its own work
                continue
            except _FastPathFailed as failed:
                deferring = False
                rejection = str(failed.error) if isinstance(failed.error, PermanentError) else None
                reason = (
                    failed.error.reason if isinstance(failed.error, PermanentError) else Reason.HANDLER_FAILED
                )
                self.metrics.failed.labels(failed.type_name, reason.value).inc()
                suspects[failed.key] = _Suspect(attempts=1, rejection=rejection, reason=reason)
                continue
            except (OperationalError, InfrastructureError) as exc:
                raise InfrastructureError(str(exc)) from exc
            self._observe(outcome)
            return outcome

    # -- one pass over the batch, inside one transaction ------------------------------------------
    def _pass(
        self,
        session: Session,
        messages: list[_Message],
        suspects: dict[InboxKey, _Suspect],
        batch: Batch,
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        fresh = claim_inbox(
            session,
            [
                m.envelope
                for m in messages
                if m.envelope is not None and inbox_key(m.envelope) not in suspects
            ],
        )
        claimed: set[InboxKey] = set()
        # handled on the fast path: their events are appended in message order once the batch's
        # deferred work (which may emit on their behalf) has run
        pending: list[UnitOfWork] = []
        for message in messages:
            if message.undecodable is not None:
                outcome.dead_letters.append(message.undecodable)
                continue
            envelope = message.envelope
            assert envelope is not None
            key = inbox_key(envelope)
            if key in suspects:
                outcome.emitted += self._append(session, pending)  # keep outbox order = message order
                pending = []
                self._apply_suspect(session, message, suspects[key], outcome)
                continue
            if key not in fresh or key in claimed:
                outcome.duplicates.append(envelope.type)
                continue
            claimed.add(key)
            started = time.perf_counter()
            uow = self._run(session, message, key, batch)
            outcome.handled.append((envelope.type, time.perf_counter() - started))
            pending.append(uow)
        if batch.pending:
            try:
                batch.flush(session)
                session.flush()
            except OperationalError:
                raise
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise InfrastructureError(str(exc)) from exc
                raise _DeferredWorkFailed(str(exc)) from exc
            except Exception as exc:
                raise _DeferredWorkFailed(str(exc)) from exc
        outcome.emitted += self._append(session, pending)
        return outcome

    @staticmethod
    def _append(session: Session, handled: list[UnitOfWork]) -> int:
        events = [e for uow in handled for e in uow.emitted]
        append_outbox(session, events)
        return len(events)

    def _run(self, session: Session, message: _Message, key: InboxKey, batch: Batch) -> UnitOfWork:
        envelope = message.envelope
        assert envelope is not None
        uow = UnitOfWork(session, envelope, self.service, batch)
        try:
            self._handle(uow, message)
        except DeferredWorkFailed as exc:  # flushed by this handler, but not its own work alone
            raise _DeferredWorkFailed(str(exc)) from exc
        except OperationalError:
            raise
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise InfrastructureError(str(exc)) from exc
            raise _FastPathFailed(key, envelope.type, exc) from exc
        except Exception as exc:
            raise _FastPathFailed(key, envelope.type, exc) from exc
        return uow

    def _handle(self, uow: UnitOfWork, message: _Message) -> None:
        envelope = uow.cause
        if isinstance(envelope.data, ClockTicked):
            uow.advance_clock(envelope.data.now)
        else:
            refuse_implausible(uow, self.policy.plausibility)  # a fact dated 0001-01-01 is dead-lettered
        if message.route is not None:
            message.route.handler(uow, envelope)
        uow.session.flush()  # so a handler's own write errors are attributed to its message

    def _apply_suspect(
        self, session: Session, message: _Message, suspect: _Suspect, outcome: BatchOutcome
    ) -> None:
        """A message that failed on the fast path: savepoint, bounded retries, then dead letter."""
        envelope = message.envelope
        assert envelope is not None
        if suspect.rejection is not None:
            outcome.dead_letters.append(
                DeadLetter(message.record, suspect.reason, suspect.rejection, 1, envelope.type)
            )
            return
        last_error: Exception | None = None
        for attempt in range(suspect.attempts + 1, self.policy.max_attempts + 1):
            time.sleep(self.policy.retry_backoff_s * 2 ** (attempt - 2))
            started = time.perf_counter()
            try:
                with session.begin_nested():
                    if not claim_inbox(session, [envelope]):
                        outcome.duplicates.append(envelope.type)
                        return
                    uow = UnitOfWork(session, envelope, self.service)
                    self._handle(uow, message)
                    append_outbox(session, uow.emitted)
            except PermanentError as exc:
                self.metrics.failed.labels(envelope.type, exc.reason.value).inc()
                outcome.dead_letters.append(
                    DeadLetter(message.record, exc.reason, str(exc), attempt, envelope.type)
                )
                return
            except OperationalError:
                raise
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise InfrastructureError(str(exc)) from exc
                last_error = exc
            except Exception as exc:
                last_error = exc
            else:
                outcome.handled.append((envelope.type, time.perf_counter() - started))
                outcome.emitted += len(uow.emitted)
                return
            self.metrics.failed.labels(envelope.type, Reason.HANDLER_FAILED.value).inc()
        detail = (
            f"failed {self.policy.max_attempts} times; last error {type(last_error).__name__}: {last_error}"
        )
        outcome.dead_letters.append(
            DeadLetter(message.record, Reason.HANDLER_FAILED, detail, self.policy.max_attempts, envelope.type)
        )

    # -- decoding and routing ---------------------------------------------------------------------
    def _decode(self, record: Record) -> _Message:
        try:
            envelope = decode(record.value, record.headers, max_bytes=self.policy.max_message_bytes)
            route = self._route(envelope, record)
        except DecodeError as exc:
            type_name = _label(_header(record, "ce_type") or "unknown")
            return _Message(record, None, None, DeadLetter(record, exc.reason, exc.detail, 0, type_name))
        return _Message(record, envelope, route, None)

    def _route(self, envelope: Envelope[Any], record: Record) -> Route | None:
        spec = REGISTRY.get(envelope.type)
        if spec.topic != input_topic(self.service, record.topic):  # a redrive topic counts as its input
            raise DecodeError(
                Reason.UNKNOWN_TYPE, f"a {envelope.type} event does not belong on topic {record.topic}"
            )
        route = self.router.route(envelope.type)
        if route is None and envelope.type != "clock.ticked":
            raise DecodeError(Reason.UNKNOWN_TYPE, f"{self.service} has no handler for {envelope.type}")
        return route

    def _observe(self, outcome: BatchOutcome) -> None:
        for type_name, seconds in outcome.handled:
            self.metrics.consumed.labels(type_name).inc()
            self.metrics.handler_seconds.labels(type_name).observe(seconds)
        for type_name in outcome.duplicates:
            self.metrics.duplicates.labels(type_name).inc()


def _header(record: Record, name: str) -> str | None:
    for k, v in record.headers:
        if k == name:
            return v.decode(errors="replace")
    return None


def _label(type_name: str) -> str:
    """Metric label for a type we could not decode: only registered names, to bound cardinality."""
    return type_name if type_name in REGISTRY else "unknown"
