"""``capture``: chosen topics, a range of them, into an event log (JSONL, the eventlog format)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msp_events import eventlog
from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import decode
from msp_events.envelope import Envelope
from msp_events.runtime.settings import KafkaSettings

from msp_replay.filters import Where
from msp_replay.reader import Range, RangeReader, ReadError, raw_document

FIRST_ERRORS = 5


@dataclass
class CaptureReport:
    topics: list[str]
    missing_topics: list[str] = field(default_factory=list)
    read: int = 0
    written: int = 0
    outside_window: int = 0
    filtered_out: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)

    @property
    def undecodable(self) -> int:
        return sum(self.errors.values())


async def capture(
    settings: KafkaSettings,
    topics: list[str],
    out: Path,
    *,
    window: Range = Range(),
    where: Where = Where(),
    raw_errors: Path | None = None,
    skip_missing: bool = False,
    on_total: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> CaptureReport:
    """Read ``topics`` in ``window`` without a consumer group, write the events that match ``where``
    to ``out`` ordered by event time then id. Undecodable records are counted by reason (the first
    few described) and, with ``raw_errors``, written there as they were; never dropped silently."""
    report = CaptureReport(topics=topics)
    kept: list[Envelope[Any]] = []
    raw_file = None
    try:
        if raw_errors is not None:
            raw_errors.parent.mkdir(parents=True, exist_ok=True)
            raw_file = raw_errors.open("w", encoding="utf-8")
        async with RangeReader(settings, client_id="msp-replay-capture") as reader:
            present, report.missing_topics = await reader.existing(topics)
            if report.missing_topics and not skip_missing:
                raise ReadError(
                    f"{', '.join(settings.topic_prefix + t for t in report.missing_topics)} not found on "
                    f"{settings.bootstrap_servers}"
                )
            spans = await reader.spans(present, window)
            if on_total is not None:
                on_total(sum(s.size for s in spans))
            async for record in reader.read(spans, progress=progress):
                report.read += 1
                if not window.holds(record.timestamp_ms):
                    report.outside_window += 1
                    continue
                try:
                    envelope = decode(record.value, record.headers)
                except DecodeError as exc:
                    report.errors[exc.reason.value] += 1
                    if len(report.first_errors) < FIRST_ERRORS:
                        report.first_errors.append(
                            f"{record.topic}[{record.partition}]@{record.offset}: {exc.reason.value}: "
                            f"{exc.detail}"
                        )
                    if raw_file is not None:
                        raw_file.write(json.dumps(raw_document(record, exc.reason.value, exc.detail)) + "\n")
                    continue
                if where and not where.matches(envelope.model_dump(exclude={"data"})):
                    report.filtered_out += 1
                    continue
                kept.append(envelope)
    finally:
        if raw_file is not None:
            raw_file.close()
    kept.sort(key=lambda e: (e.time, e.id))
    with eventlog.LogWriter(out) as writer:
        for envelope in kept:
            writer.write(envelope)
            report.by_type[envelope.type] += 1
    report.written = len(kept)
    return report
