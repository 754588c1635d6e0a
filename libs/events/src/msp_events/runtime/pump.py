"""The consumer pump: records in, exactly-once effects out.

Each fetched batch is applied to the database in one transaction (``batch.py``: decode, claim the
inbox so a duplicate is a no-op, run the handlers, append their events to the outbox). A message
that cannot be handled goes to this consumer's dead-letter topic with the reason; only when the
transaction has committed and every dead letter is acknowledged are the offsets committed. If the
database or the dead-letter publish fails, the partitions are rewound and the batch is retried:
anything already committed is recognised by the inbox, so nothing is lost and nothing doubled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from msp_events.registry import dead_letter_topic, input_topic
from msp_events.runtime.batch import BatchApplier, BatchOutcome, BatchPolicy, DeadLetter
from msp_events.runtime.deadletter import is_truncated, publish_dead_letters
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.plausibility import PlausibilityWindow
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.transport import ConsumerPort, Outgoing, ProducerPort, Record, TopicPartition

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
    dead_letter_max_bytes: int = 1_000_000  # a bigger copy is truncated (deadletter.py)
    plausibility: PlausibilityWindow = field(default_factory=PlausibilityWindow)


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
        self._stopping = asyncio.Event()
        self.batches = BatchApplier(
            service=service,
            router=router,
            engine=engine,
            metrics=metrics,
            policy=BatchPolicy(
                policy.max_attempts,
                policy.retry_backoff_s,
                policy.max_message_bytes,
                plausibility=policy.plausibility,
            ),
        )

    # -- the loop ---------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the batch in hand (database, dead letters, offsets), then return from ``run``."""
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            records = await self.consumer.fetch(self.policy.batch_size, self.policy.fetch_timeout_s)
            if not records:
                self.idle.set()
                continue
            self.idle.clear()
            try:
                await self.process(records)
                if await self._caught_up():
                    self.idle.set()  # without waiting for an empty fetch's timeout
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the batch is rewound and retried after a pause
                log.warning("%s: batch of %d not finished (%s); retrying", self.service, len(records), exc)
                await self._rewind(records)
                await asyncio.sleep(self.policy.infrastructure_backoff_s)

    async def process(self, records: list[Record]) -> BatchOutcome:
        outcome = await asyncio.to_thread(self.batches.apply, records)
        if outcome.dead_letters:
            published = await publish_dead_letters(
                self.producer,
                [self._dead_letter_message(d) for d in outcome.dead_letters],
                self.policy.dead_letter_max_bytes,
            )
            for d, message in zip(outcome.dead_letters, published, strict=True):
                self.metrics.dead_lettered.labels(d.type, d.reason.value).inc()
                if is_truncated(message):
                    self.metrics.dead_letters_truncated.labels(d.type).inc()
                log.error(
                    "%s: dead-lettered %s[%d]@%d%s: %s: %s",
                    self.service,
                    d.record.topic,
                    d.record.partition,
                    d.record.offset,
                    " (truncated)" if is_truncated(message) else "",
                    d.reason,
                    d.detail,
                )
        await self.consumer.commit(_next_offsets(records))
        if outcome.emitted:
            self.on_committed()
        return outcome

    async def _caught_up(self) -> bool:
        """Nothing left to fetch on any assigned partition, as far as the consumer knows without asking
        the broker (an unknown end is not caught up; records buffered for alignment count as left)."""
        unfetched = await self.consumer.unfetched(self.consumer.assignment())
        return all(n is not None and n <= 0 for n in unfetched.values())

    async def _rewind(self, records: list[Record]) -> None:
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault((r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            await self.consumer.seek(tp, offset)

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
            topic=dead_letter_topic(self.service, input_topic(self.service, record.topic)),
            key=record.key,
            value=record.value,
            headers=headers,
        )


def _next_offsets(records: list[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        offsets[(r.topic, r.partition)] = max(offsets.get((r.topic, r.partition), 0), r.offset + 1)
    return offsets
