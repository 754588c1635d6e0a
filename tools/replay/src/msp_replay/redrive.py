"""``redrive``: one consumer's dead letters back to that consumer, and only to it.

An input topic is shared by every consumer of its type, so republishing a dead letter there would
reach all of them. Each service also subscribes to ``redrive.<service>.<topic>`` for each of its
input topics and handles it exactly like the input topic (``msp_events.runtime``), so the redrive
copies each message of ``dlt.<consumer>.<topic>`` to ``redrive.<consumer>.<topic>``: same key, same
value, same ``ce_`` headers (so the same id), without the ``x-dlt-*`` headers, plus
``x-redrive-from`` naming the dead letter. Running it twice is safe: the consumer's inbox drops an
id it has already handled, and a message that fails again is dead-lettered again.

How far it got is committed in the group ``msp-replay.redrive.<consumer>`` (only committed, never
joined), so the next run starts after what was already redriven; ``--from-beginning`` or an
offset range choose otherwise. ``--dry-run`` and ``--where`` never commit, so what a filter left out
is still there for a later run.

A *truncated* dead letter (``x-dlt-truncated``: its value was cut to fit the dead-letter topic, see
``msp_events.runtime.deadletter``) is refused: its value is not the event, so resending it would
only dead-letter it again (undecodable) or, worse, feed a cut payload to the handler. The report
lists each with where the original still is (``x-dlt-original-topic/partition/offset``, on the input
topic until its retention) and its size and SHA-256, so the operator can redrive the original.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import decode
from msp_events.registry import REGISTRY, SERVICES, dead_letter_topic, redrive_topic
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.transport import Outgoing, Record

from msp_replay.filters import FilterError, Where
from msp_replay.reader import Range, RangeReader, Span

BATCH = 500
DROPPED_HEADER_PREFIXES = ("x-dlt-", "x-redrive-")


def group_for(consumer: str) -> str:
    return f"msp-replay.redrive.{consumer}"


def input_topics(consumer: str, names: list[str]) -> list[str]:
    """The consumer's input topics to redrive: from event types, input topics or DLT names;
    all the registry says it consumes when ``names`` is empty."""
    if consumer not in SERVICES:
        raise FilterError(f"unknown consumer {consumer!r}: one of {', '.join(SERVICES)}")
    consumed = {spec.topic for spec in REGISTRY.consumed_by(consumer)}
    if not names:
        return sorted(consumed)
    out = set()
    for name in names:
        topic = REGISTRY.get(name).topic if name in REGISTRY else name
        topic = topic.removeprefix(f"dlt.{consumer}.")
        if topic not in consumed:
            raise FilterError(
                f"{name!r}: {consumer} does not consume it; its inputs are {', '.join(sorted(consumed))}"
            )
        out.add(topic)
    return sorted(out)


@dataclass
class RedriveReport:
    consumer: str
    dead_letter_topics: list[str]
    missing_topics: list[str] = field(default_factory=list)
    read: int = 0
    redriven: int = 0
    filtered_out: int = 0
    by_type_reason: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (topic, type, reason)
    refused_truncated: list[TruncatedLetter] = field(default_factory=list)
    committed: bool = False


@dataclass(frozen=True)
class TruncatedLetter:
    """A dead letter whose value was cut: where it is, and where the whole original still is."""

    dead_letter: str  # topic/partition/offset of the dead letter
    original_topic: str
    original_partition: str
    original_offset: str
    original_bytes: str
    original_sha256: str

    def describe(self) -> str:
        return (
            f"{self.dead_letter}: truncated dead letter, not redriven; the original "
            f"({self.original_bytes} bytes, sha256 {self.original_sha256 or '?'}) is still at "
            f"{self.original_topic or '?'}[{self.original_partition or '?'}]@{self.original_offset or '?'} "
            "until that topic's retention: copy that record to the redrive topic to redrive it"
        )


def truncated_letter(record: Record) -> TruncatedLetter | None:
    """The truncation facts of a dead letter whose value was cut (``x-dlt-truncated``), else None."""
    size = _header(record, "x-dlt-truncated")
    if not size:
        return None
    return TruncatedLetter(
        dead_letter=f"{record.topic}/{record.partition}/{record.offset}",
        original_topic=_header(record, "x-dlt-original-topic"),
        original_partition=_header(record, "x-dlt-original-partition"),
        original_offset=_header(record, "x-dlt-original-offset"),
        original_bytes=size,
        original_sha256=_header(record, "x-dlt-original-sha256"),
    )


def attributes_of(record: Record) -> dict[str, Any]:
    """CloudEvent attributes for ``--where``: decoded when possible, else from the ``ce_`` headers."""
    try:
        return decode(record.value, record.headers).model_dump(exclude={"data"})
    except DecodeError:
        return {
            k.removeprefix("ce_"): v.decode(errors="replace")
            for k, v in record.headers
            if k.startswith("ce_")
        }


def redriven(consumer: str, topic: str, record: Record) -> Outgoing:
    """The dead letter as the consumer first received it, on its redrive topic."""
    headers = [(k, v) for k, v in record.headers if not k.startswith(DROPPED_HEADER_PREFIXES)]
    headers.append(("x-redrive-from", f"{record.topic}/{record.partition}/{record.offset}".encode()))
    return Outgoing(topic=redrive_topic(consumer, topic), key=record.key, value=record.value, headers=headers)


def _header(record: Record, name: str) -> str:
    for k, v in record.headers:
        if k == name:
            return v.decode(errors="replace")
    return ""


async def redrive(
    settings: KafkaSettings,
    consumer: str,
    topics: list[str],
    *,
    window: Range = Range(),
    from_beginning: bool = False,
    where: Where = Where(),
    dry_run: bool = False,
    on_total: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RedriveReport:
    """Copy ``dlt.<consumer>.<topic>`` for each input ``topic`` to ``redrive.<consumer>.<topic>``."""
    dlts = [dead_letter_topic(consumer, t) for t in topics]
    report = RedriveReport(consumer=consumer, dead_letter_topics=dlts)
    producer = None
    async with RangeReader(settings, group=group_for(consumer), client_id="msp-replay-redrive") as reader:
        present, report.missing_topics = await reader.existing(dlts)
        resume = not from_beginning and window.from_offset is None
        spans: list[Span] = await reader.spans(present, window, resume=resume) if present else []
        if on_total is not None:
            on_total(sum(s.size for s in spans))
        if not dry_run:
            await KafkaTransport(settings).ensure_topics(
                {redrive_topic(consumer, t): REGISTRY.by_topic(t).partitions for t in topics}
            )
            producer = KafkaTransport(settings, client_id="msp-replay-redrive").producer()
            await producer.start()
        try:
            pending: list[Outgoing] = []
            async for record in reader.read(spans, progress=progress):
                report.read += 1
                dlt_consumer = _header(record, "x-dlt-consumer")
                if (where and not where.matches(attributes_of(record))) or dlt_consumer not in ("", consumer):
                    report.filtered_out += 1
                    continue
                cut = truncated_letter(record)
                if cut is not None:
                    report.refused_truncated.append(cut)
                    continue
                topic = record.topic.removeprefix(f"dlt.{consumer}.")
                report.by_type_reason[
                    (topic, _header(record, "ce_type") or "?", _header(record, "x-dlt-reason"))
                ] += 1
                report.redriven += 1
                if producer is not None:
                    pending.append(redriven(consumer, topic, record))
                    if len(pending) >= BATCH:
                        await producer.send_all(pending)
                        pending = []
            if producer is not None and pending:
                await producer.send_all(pending)
        finally:
            if producer is not None:
                await producer.stop()
        if not dry_run and not where and spans:
            await reader.commit(spans)
            report.committed = True
    return report
