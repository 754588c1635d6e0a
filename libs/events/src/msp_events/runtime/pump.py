"""The consumer pump: records in, exactly-once effects out.

For each fetched batch, in one database transaction with a savepoint per message: decode, claim
the inbox (a duplicate is a no-op), run the handler, write its events to the outbox. A message
that cannot be handled goes to this consumer's dead-letter topic with the reason; only when the
transaction has committed and every dead letter is acknowledged are the offsets committed. If the
database or the dead-letter publish fails, the partitions are rewound and the batch is retried:
anything already committed is recognised by the inbox, so nothing is lost and nothing doubled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from msp_events.codec.errors import DecodeError, Reason
from msp_events.codec.kafka import decode
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY, dead_letter_topic
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.transport import ConsumerPort, Outgoing, ProducerPort, Record, TopicPartition
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.platform import ClockTicked

log = logging.getLogger(__name__)

DETAIL_LIMIT = 8 * 1024


@dataclass(frozen=True)
class PumpPolicy:
    batch_size: int = 200
    fetch_timeout_s: float = 0.5
    max_attempts: int = 3
    retry_backoff_s: float = 0.05
    max_message_bytes: int = 1_000_000
    infrastructure_backoff_s: float = 1.0


@dataclass
class DeadLetter:
    record: Record
    reason: Reason
    detail: str
    attempts: int
    type: str = "unknown"


@dataclass
class BatchOutcome:
    handled: int = 0
    duplicates: int = 0
    emitted: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)


class InfrastructureError(Exception):
    """The database is unreachable or broke mid-batch: retry the batch, never dead-letter it."""


class Pump:
    def __init__(
        self,
        *,
        service: str,
        router: HandlerRouter,
        engine: Engine,
        consumer: ConsumerPort,
        producer: ProducerPort,
        metrics: RuntimeMetrics,
        policy: PumpPolicy,
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self.service = service
        self.router = router
        self.engine = engine
        self.consumer = consumer
        self.producer = producer
        self.metrics = metrics
        self.policy = policy
        self.on_committed = on_committed
        self.idle = asyncio.Event()

    # -- the loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            records = await self.consumer.fetch(self.policy.batch_size, self.policy.fetch_timeout_s)
            if not records:
                self.idle.set()
                continue
            self.idle.clear()
            try:
                await self.process(records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the batch is rewound and retried after a pause
                log.warning("%s: batch of %d not finished (%s); retrying", self.service, len(records), exc)
                await self._rewind(records)
                await asyncio.sleep(self.policy.infrastructure_backoff_s)

    async def process(self, records: list[Record]) -> BatchOutcome:
        outcome = await asyncio.to_thread(self._apply, records)
        if outcome.dead_letters:
            await self.producer.send_all([self._dead_letter_message(d) for d in outcome.dead_letters])
            for d in outcome.dead_letters:
                self.metrics.dead_lettered.labels(d.type, d.reason.value).inc()
                log.error(
                    "%s: dead-lettered %s[%d]@%d: %s: %s",
                    self.service,
                    d.record.topic,
                    d.record.partition,
                    d.record.offset,
                    d.reason,
                    d.detail,
                )
        await self.consumer.commit(_next_offsets(records))
        if outcome.emitted:
            self.on_committed()
        return outcome

    async def _rewind(self, records: list[Record]) -> None:
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault((r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            await self.consumer.seek(tp, offset)

    # -- one transaction per batch, one savepoint per message -------------------------------------
    def _apply(self, records: list[Record]) -> BatchOutcome:
        outcome = BatchOutcome()
        try:
            with Session(self.engine) as session:
                for record in records:
                    self._apply_one(session, record, outcome)
                session.commit()
        except (OperationalError, InfrastructureError) as exc:
            raise InfrastructureError(str(exc)) from exc
        return outcome

    def _apply_one(self, session: Session, record: Record, outcome: BatchOutcome) -> None:
        try:
            envelope = decode(record.value, record.headers, max_bytes=self.policy.max_message_bytes)
            route = self._route(envelope, record)
        except DecodeError as exc:
            type_name = _header(record, "ce_type") or "unknown"
            outcome.dead_letters.append(DeadLetter(record, exc.reason, exc.detail, 0, _label(type_name)))
            return
        handler = route.handler if route is not None else None
        last_error: Exception | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            started = time.perf_counter()
            try:
                with session.begin_nested():
                    uow = UnitOfWork(session, envelope, self.service)
                    if not uow.claim_inbox():
                        outcome.duplicates += 1
                        self.metrics.duplicates.labels(envelope.type).inc()
                        return
                    if isinstance(envelope.data, ClockTicked):
                        uow.advance_clock(envelope.data.now)
                    if handler is not None:
                        handler(uow, envelope)
                    uow.write_outbox()
                    session.flush()
            except PermanentError as exc:
                self.metrics.failed.labels(envelope.type, Reason.HANDLER_REJECTED.value).inc()
                outcome.dead_letters.append(
                    DeadLetter(record, Reason.HANDLER_REJECTED, str(exc), attempt, envelope.type)
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
                self.metrics.handler_seconds.labels(envelope.type).observe(time.perf_counter() - started)
                self.metrics.consumed.labels(envelope.type).inc()
                outcome.handled += 1
                outcome.emitted += len(uow.emitted)
                return
            self.metrics.failed.labels(envelope.type, Reason.HANDLER_FAILED.value).inc()
            if attempt < self.policy.max_attempts:
                time.sleep(self.policy.retry_backoff_s * 2 ** (attempt - 1))
        detail = (
            f"failed {self.policy.max_attempts} times; last error {type(last_error).__name__}: {last_error}"
        )
        outcome.dead_letters.append(
            DeadLetter(record, Reason.HANDLER_FAILED, detail, self.policy.max_attempts, envelope.type)
        )

    def _route(self, envelope: Envelope[Any], record: Record) -> Any:
        spec = REGISTRY.get(envelope.type)
        if spec.topic != record.topic:
            raise DecodeError(
                Reason.UNKNOWN_TYPE, f"a {envelope.type} event does not belong on topic {record.topic}"
            )
        route = self.router.route(envelope.type)
        if route is None and envelope.type != "clock.ticked":
            raise DecodeError(Reason.UNKNOWN_TYPE, f"{self.service} has no handler for {envelope.type}")
        return route

    def _dead_letter_message(self, dead: DeadLetter) -> Outgoing:
        record = dead.record
        detail = dead.detail[:DETAIL_LIMIT]
        headers = [
            *[(k, v) for k, v in record.headers if not k.startswith("x-dlt-")],
            ("x-dlt-reason", dead.reason.value.encode()),
            ("x-dlt-detail", detail.encode()),
            ("x-dlt-consumer", self.service.encode()),
            ("x-dlt-original-topic", record.topic.encode()),
            ("x-dlt-original-partition", str(record.partition).encode()),
            ("x-dlt-original-offset", str(record.offset).encode()),
            ("x-dlt-attempts", str(dead.attempts).encode()),
        ]
        return Outgoing(
            topic=dead_letter_topic(self.service, record.topic),
            key=record.key,
            value=record.value,
            headers=headers,
        )


def _next_offsets(records: list[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        offsets[(r.topic, r.partition)] = max(offsets.get((r.topic, r.partition), 0), r.offset + 1)
    return offsets


def _header(record: Record, name: str) -> str | None:
    for k, v in record.headers:
        if k == name:
            return v.decode(errors="replace")
    return None


def _label(type_name: str) -> str:
    """Metric label for a type we could not decode: only registered names, to bound cardinality."""
    return type_name if type_name in REGISTRY else "unknown"
