"""Event logs on disk: one structured CloudEvent (JSON) per line, in event-time order.

This is the one file format the simulator writes, the importers emit, ``msp-replay capture``
records and ``msp-replay play`` / ``msp-sim publish`` read. Keeping it in the shared library means
a log written by any of them can be fed to any other, and to the replay test harness.

Lines are written with sorted keys and no optional ``None`` attributes, so the same events always
give the same bytes (the simulator's "same seed, same bytes" rests on this).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import encode_binary, from_attributes
from msp_events.envelope import Envelope
from msp_events.runtime.transport import Outgoing, ProducerPort


class LogError(ValueError):
    """A line of an event log that cannot be read, with where it is and why."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def dumps(envelope: Envelope[Any]) -> str:
    """One log line (without the newline): canonical JSON, keys sorted, money as strings."""
    document = envelope.model_dump(mode="json", exclude_none=True)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(line: str | bytes, *, path: str = "<log>", number: int = 0) -> Envelope[Any]:
    """Parse and validate one log line against the registry; ``LogError`` says what is wrong."""
    try:
        document = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LogError(path, number, f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise LogError(path, number, "a log line must be one JSON object (a structured CloudEvent)")
    try:
        return from_attributes(document)
    except DecodeError as exc:
        raise LogError(path, number, f"{exc.reason.value}: {exc.detail}") from None


class LogWriter:
    """Appends envelopes to a JSONL file; a context manager so a crash leaves whole lines only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._file: IO[str] | None = None

    def __enter__(self) -> LogWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8", newline="\n")
        return self

    def write(self, envelope: Envelope[Any]) -> None:
        assert self._file is not None, "use LogWriter as a context manager"
        self._file.write(dumps(envelope))
        self._file.write("\n")
        self.count += 1

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def write(envelopes: Iterable[Envelope[Any]], path: str | Path) -> int:
    """Write a whole log; returns the number of events."""
    with LogWriter(path) as writer:
        for envelope in envelopes:
            writer.write(envelope)
        return writer.count


def read(path: str | Path) -> Iterator[Envelope[Any]]:
    """Stream a log (never all of it in memory); the first bad line raises ``LogError``."""
    name = str(path)
    with Path(path).open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if raw.strip():
                yield loads(raw, path=name, number=number)


def count(path: str | Path) -> int:
    """Number of events in a log (for progress bars), without parsing them."""
    with Path(path).open("rb") as file:
        return sum(1 for raw in file if raw.strip())


def to_outgoing(envelope: Envelope[Any]) -> Outgoing:
    """As a source system publishes it: binary CloudEvent keyed by the partition key, ids kept."""
    message = encode_binary(envelope)
    return Outgoing(topic=message.topic, key=message.key, value=message.value, headers=message.headers)


@dataclass(frozen=True)
class Pacing:
    """How fast to publish a log.

    ``speed``: event-time seconds per wall second (``3600`` plays an hour per second); ``rate``:
    at most this many events per wall second. Neither set means as fast as the broker accepts.
    """

    speed: float | None = None
    rate: float | None = None
    batch_size: int = 500

    def __post_init__(self) -> None:
        if self.speed is not None and self.speed <= 0:
            raise ValueError("--speed must be positive (event seconds per wall second)")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("--rate must be positive (events per second)")
        if self.batch_size < 1:
            raise ValueError("the batch size must be at least 1")


async def paced(
    envelopes: Iterable[Envelope[Any]],
    pacing: Pacing,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> AsyncIterator[list[Envelope[Any]]]:
    """Group a log into batches and wait between them as the pacing asks."""
    start_wall = clock()
    first_time: datetime | None = None
    sent = 0
    batch: list[Envelope[Any]] = []
    batch_limit = pacing.batch_size
    if pacing.rate is not None:
        batch_limit = max(1, min(batch_limit, int(pacing.rate / 10) or 1))
    for envelope in envelopes:
        if first_time is None:
            first_time = envelope.time
        due = 0.0
        if pacing.speed is not None:
            due = (envelope.time - first_time).total_seconds() / pacing.speed
        if pacing.rate is not None:
            due = max(due, (sent + len(batch)) / pacing.rate)
        wait = due - (clock() - start_wall)
        if batch and (wait > 0 or len(batch) >= batch_limit):
            yield batch
            sent += len(batch)
            batch = []
            wait = due - (clock() - start_wall)
        if wait > 0:
            await sleep(wait)
        batch.append(envelope)
    if batch:
        yield batch


async def publish(
    envelopes: Iterable[Envelope[Any]],
    producer: ProducerPort,
    pacing: Pacing | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Publish a log in its order, ids unchanged, so a second play is a no-op for idempotent consumers.

    The producer must already be started. ``progress`` is called with the number of events
    acknowledged by each batch. Returns the total published.
    """
    total = 0
    async for batch in paced(envelopes, pacing or Pacing()):
        await producer.send_all([to_outgoing(e) for e in batch])
        total += len(batch)
        if progress is not None:
            progress(len(batch))
    return total
