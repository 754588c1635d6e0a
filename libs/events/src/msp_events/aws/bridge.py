"""The EventBridge bridge: the agents' cross-agent events, fanned out to an EventBridge bus.

Inside the platform the agents talk over Kafka; outside it (a ticketing integration, a Step
Functions workflow, an SNS alert for the account manager) teams subscribe with EventBridge rules on
``detail-type``. The bridge is one more consumer group (``eventbridge``) on the agent-owned topics:

* records are mapped with the existing codec (``codec/eventbridge.py``) and sent with ``PutEvents``
  in requests within its limits: at most 10 entries and 256 KB, sized as AWS sizes them;
* ``PutEvents`` can accept some entries and refuse others (``FailedEntryCount``); only the refused
  ones are sent again, with exponential backoff, and what is still refused after
  ``EVENTBRIDGE_MAX_ATTEMPTS`` goes to ``dlt.eventbridge.<topic>`` with the error code as reason, as
  does a record that cannot be decoded or is too large for one entry;
* offsets are committed only when every record of the batch is on the bus or dead-lettered. If the
  call itself fails (network, throttling of the whole request, a missing bus), nothing is committed:
  the batch is read again after a pause, so an outage delays events and never drops them.

Delivery is at least once: a batch retried after a failed call re-sends entries the bus already
took. EventBridge does not deduplicate, so the envelope id travels in ``detail.id`` for the targets
to do it (``codec/eventbridge.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from msp_events.codec.errors import DecodeError
from msp_events.codec.eventbridge import to_put_events_entry
from msp_events.codec.kafka import decode
from msp_events.registry import REGISTRY, SERVICES, Registry, dead_letter_topic
from msp_events.runtime.deadletter import publish_dead_letters
from msp_events.runtime.transport import ConsumerPort, Outgoing, ProducerPort, Record, TopicPartition

log = logging.getLogger(__name__)

CONSUMER = "eventbridge"
"""Consumer group and dead-letter name: ``dlt.eventbridge.<topic>``."""
MAX_ENTRIES = 10
"""PutEvents: entries per request."""
MAX_REQUEST_BYTES = 256 * 1024
"""PutEvents: total entry size per request (and so the largest single entry)."""
TIME_BYTES = 14
"""What AWS counts for an entry's ``Time`` when computing its size."""
DETAIL_LIMIT = 1000


def cross_agent_types(registry: Registry = REGISTRY) -> list[str]:
    """The agents' own outputs (owner is an agent): what other agents, and teams outside, act on."""
    return [spec.type for spec in registry if spec.owner in SERVICES]


class BridgeSettings(BaseSettings):
    """``EVENTBRIDGE_*``. No bus name, no bridge: ``msp-events bridge`` refuses to start without one."""

    model_config = SettingsConfigDict(env_prefix="EVENTBRIDGE_", extra="ignore")

    bus_name: str | None = Field(default=None, description="the EventBridge bus (name or ARN)")
    region: str | None = Field(default=None, description="AWS region; the SDK's default when unset")
    endpoint_url: str | None = Field(default=None, description="another endpoint (tests, VPC endpoints)")
    types: list[str] = Field(
        default_factory=cross_agent_types, description="event types to bridge; the agents' outputs"
    )
    max_attempts: int = Field(default=5, ge=1, description="PutEvents tries per entry before dead letter")
    backoff_s: float = Field(default=0.2, ge=0, description="first retry pause; doubled each retry")
    max_backoff_s: float = Field(default=5.0, ge=0)
    outage_backoff_s: float = Field(default=5.0, gt=0, description="pause after a failed call")
    fetch_records: int = Field(default=500, ge=1)
    heartbeat_file: str | None = Field(
        default=None,
        description="touched once per cycle; `msp-events heartbeat --file` is the liveness probe",
    )
    dead_letter_max_bytes: int = Field(default=1_000_000, ge=64 * 1024)


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as PutEvents counts it: UTF-8 bytes of Source, DetailType, Detail and the
    Resources, plus 14 for a Time."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name) or "").encode())
    return size + sum(len(r.encode()) for r in entry.get("Resources") or [])


def chunks(
    sizes: Sequence[int], max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_REQUEST_BYTES
) -> list[list[int]]:
    """Indexes grouped, in order, into requests of at most ``max_entries`` and ``max_bytes``. Every
    size must be at most ``max_bytes`` (larger entries are dead letters before this)."""
    out: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, size in enumerate(sizes):
        if size > max_bytes:
            raise ValueError(f"entry {i} is {size} bytes; a PutEvents request holds {max_bytes}")
        if current and (len(current) == max_entries or used + size > max_bytes):
            out.append(current)
            current, used = [], 0
        current.append(i)
        used += size
    if current:
        out.append(current)
    return out


class BridgeUnavailable(Exception):
    """The PutEvents call itself failed: nothing of the batch is committed, it is read again."""


@dataclass
class Failed:
    record: Record
    reason: str
    detail: str
    attempts: int = 1


@dataclass
class BatchOutcome:
    records: int = 0
    put: int = 0
    retried: int = 0
    requests: int = 0
    dead: list[Failed] = field(default_factory=list)


class EventBridgeBridge:
    """Consumes agent events and puts them on the bus (see the module docstring)."""

    def __init__(
        self,
        consumer: ConsumerPort,
        producer: ProducerPort,
        events_client: Any,
        settings: BridgeSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not settings.bus_name:
            raise ValueError("EVENTBRIDGE_BUS_NAME is not set: the bridge has no bus to put events on")
        self.consumer = consumer
        self.producer = producer
        self.client = events_client
        self.settings = settings
        self.bus_name: str = settings.bus_name
        self._sleep = sleep

    @staticmethod
    def topics(settings: BridgeSettings, registry: Registry = REGISTRY) -> list[str]:
        return sorted({registry.get(t).topic for t in settings.types})

    @staticmethod
    def dead_letter_topics(settings: BridgeSettings, registry: Registry = REGISTRY) -> dict[str, int]:
        return {
            dead_letter_topic(CONSUMER, registry.get(t).topic): registry.get(t).partitions
            for t in settings.types
        }

    async def run_once(self, timeout_s: float = 1.0) -> BatchOutcome | None:
        """Fetch, bridge and commit one batch; ``None`` when nothing came. On ``BridgeUnavailable``
        the partitions are rewound to the batch start and the error propagates."""
        records = await self.consumer.fetch(self.settings.fetch_records, timeout_s)
        if not records:
            return None
        try:
            outcome = await self.bridge(records)
            if outcome.dead:
                await publish_dead_letters(
                    self.producer,
                    [self._dead_letter(d) for d in outcome.dead],
                    self.settings.dead_letter_max_bytes,
                )
        except BaseException:
            await self._rewind(records)
            raise
        await self.consumer.commit(_next_offsets(records))
        return outcome

    async def run(self, stop: asyncio.Event, heartbeat: Callable[[], None] | None = None) -> None:
        """Bridge until ``stop``; a failed call pauses ``outage_backoff_s`` and retries the batch.

        ``heartbeat`` is called once per cycle, outages included: it tells the liveness probe that
        the loop turns (a restart would not cure an EventBridge outage, only a stuck loop).
        """
        while not stop.is_set():
            try:
                await self.run_once()
            except BridgeUnavailable as exc:
                log.warning("EventBridge unavailable, batch rewound: %s", exc)
                await self._sleep(self.settings.outage_backoff_s)
            if heartbeat is not None:
                heartbeat()

    async def bridge(self, records: list[Record]) -> BatchOutcome:
        """Put the records on the bus; what cannot be put is returned as dead letters."""
        outcome = BatchOutcome(records=len(records))
        entries: list[dict[str, Any]] = []
        sources: list[Record] = []
        for record in records:
            try:
                envelope = decode(record.value, record.headers)
                entry = to_put_events_entry(envelope, event_bus_name=self.bus_name)
            except DecodeError as exc:
                outcome.dead.append(Failed(record, exc.reason.value, exc.detail))
                continue
            except ValueError as exc:
                outcome.dead.append(Failed(record, "eventbridge-invalid", str(exc)))
                continue
            size = entry_size(entry)
            if size > MAX_REQUEST_BYTES:
                detail = f"entry is {size} bytes; PutEvents takes {MAX_REQUEST_BYTES}"
                outcome.dead.append(Failed(record, "too-large", detail))
                continue
            entries.append(entry)
            sources.append(record)
        for group in chunks([entry_size(e) for e in entries]):
            await self._put([entries[i] for i in group], [sources[i] for i in group], outcome)
        return outcome

    async def _put(self, entries: list[dict[str, Any]], records: list[Record], outcome: BatchOutcome) -> None:
        pending = list(range(len(entries)))
        attempt = 1
        while True:
            response = await self._call([entries[i] for i in pending])
            outcome.requests += 1
            results = response.get("Entries") or []
            if len(results) != len(pending):
                raise BridgeUnavailable(
                    f"PutEvents answered {len(results)} results for {len(pending)} entries"
                )
            refused = [(i, r) for i, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
            outcome.put += len(pending) - len(refused)
            if not refused:
                return
            if attempt >= self.settings.max_attempts:
                for i, result in refused:
                    reason = f"eventbridge-{result['ErrorCode']}"
                    detail = str(result.get("ErrorMessage") or result["ErrorCode"])
                    outcome.dead.append(Failed(records[i], reason, detail, attempts=attempt))
                return
            pause = min(self.settings.backoff_s * 2 ** (attempt - 1), self.settings.max_backoff_s)
            log.info(
                "PutEvents refused %d of %d entries; retrying in %.2fs", len(refused), len(pending), pause
            )
            await self._sleep(pause)
            pending = [i for i, _ in refused]
            outcome.retried += len(pending)
            attempt += 1

    async def _call(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            response: dict[str, Any] = await asyncio.to_thread(self.client.put_events, Entries=entries)
        except Exception as exc:  # botocore ClientError, connection errors: the call as a whole failed
            raise BridgeUnavailable(f"PutEvents failed: {exc}") from exc
        return response

    async def _rewind(self, records: list[Record]) -> None:
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault((r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            await self.consumer.seek(tp, offset)

    def _dead_letter(self, failed: Failed) -> Outgoing:
        record = failed.record
        headers = [
            *[(k, v) for k, v in record.headers if not k.startswith("x-dlt-")],
            ("x-dlt-reason", failed.reason.encode()),
            ("x-dlt-detail", failed.detail[:DETAIL_LIMIT].encode()),
            ("x-dlt-consumer", CONSUMER.encode()),
            ("x-dlt-original-topic", record.topic.encode()),
            ("x-dlt-original-partition", str(record.partition).encode()),
            ("x-dlt-original-offset", str(record.offset).encode()),
            ("x-dlt-attempts", str(failed.attempts).encode()),
        ]
        return Outgoing(
            topic=dead_letter_topic(CONSUMER, record.topic),
            key=record.key,
            value=record.value,
            headers=headers,
        )


def _next_offsets(records: list[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        offsets[(r.topic, r.partition)] = max(offsets.get((r.topic, r.partition), 0), r.offset + 1)
    return offsets


def events_client(settings: BridgeSettings) -> Any:
    """A boto3 EventBridge client (credentials from the pod's role)."""
    import boto3

    return boto3.client("events", region_name=settings.region, endpoint_url=settings.endpoint_url)
