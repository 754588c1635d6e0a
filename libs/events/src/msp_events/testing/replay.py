"""Replay tests: a recorded log into one service, its exact outputs compared with a golden file.

Two parts, usable separately:

* **The diff core** (``diff_events``, ``LogDiff``): compares two runs event by event, matching them
  by ``(type, subject, n-th occurrence)`` or by ``id``, and ignoring only the field paths it is
  told to (``id``, ``time``, ``data.generated_at``, globs like ``data.*_at``). ``msp-replay diff``
  and ``assert_matches_golden`` both use it, so a test failure reads like the CLI's report.
* **The harness** (``replay``): starts one service alone, on the in-process transport with a fresh
  SQLite file or on real Kafka (a unique topic prefix) with the database it is given, publishes the
  log as a source system would (ids kept), waits until every message is handled, duplicated or
  dead-lettered and the outbox is relayed, and returns what the service published and
  dead-lettered, in a deterministic order.

A golden test::

    result = await replay(create_service, Settings(), Path("tests/logs/week.jsonl"))
    assert_matches_golden(result.outputs, Path("tests/golden/week.jsonl"))

``MSP_UPDATE_GOLDEN=1 pytest …`` (re)writes the golden files instead of comparing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from msp_events import eventlog
from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import Headers, decode
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY, dead_letter_topic
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.store import outbox
from msp_events.runtime.transport import Record, Transport

Document = dict[str, Any]
Match = Literal["key", "id"]
UPDATE_GOLDEN_ENV = "MSP_UPDATE_GOLDEN"


# -- the diff core ----------------------------------------------------------------------------------


class _Absent:
    """A field one side does not have (shown as ``(absent)``, distinct from ``null``)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


def as_document(event: Envelope[Any] | Mapping[str, Any]) -> Document:
    """The JSON document of an event as a log line holds it (so money is a string, time ISO 8601)."""
    if isinstance(event, Envelope):
        loaded: Document = json.loads(eventlog.dumps(event))
        return loaded
    return dict(event)


def read_documents(path: str | Path) -> list[Document]:
    """A JSONL log as plain documents (no schema validation: a diff compares what is on disk)."""
    out: list[Document] = []
    with Path(path).open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            try:
                document = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise eventlog.LogError(str(path), number, f"not JSON: {exc}") from None
            if not isinstance(document, dict):
                raise eventlog.LogError(str(path), number, "a log line must be one JSON object")
            out.append(document)
    return out


def write_documents(documents: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write documents as canonical JSONL (sorted keys), as ``eventlog`` writes envelopes."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with target.open("w", encoding="utf-8", newline="\n") as file:
        for document in documents:
            file.write(json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
            file.write("\n")
            n += 1
    return n


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its dotted path and the value on each side (``ABSENT`` if missing)."""

    path: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Changed:
    """An event present on both sides whose fields differ."""

    label: str
    left: Document
    right: Document
    changes: tuple[FieldChange, ...]


@dataclass
class LogDiff:
    """The result of ``diff_events``: ``missing`` (left only), ``extra`` (right only), ``changed``."""

    equal: int = 0
    missing: list[tuple[str, Document]] = field(default_factory=list)
    extra: list[tuple[str, Document]] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    ignored: tuple[str, ...] = ()
    match: Match = "key"

    @property
    def is_equal(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    def summary(self) -> str:
        return (
            f"{self.equal} equal, {len(self.missing)} missing, {len(self.extra)} extra, "
            f"{len(self.changed)} changed"
        )

    def render(self, left_name: str = "expected", right_name: str = "actual", limit: int = 50) -> str:
        """A readable report: one line per missing/extra event, the differing fields of each change."""
        lines = [f"{left_name} vs {right_name}: {self.summary()}"]
        ignored = ", ".join(self.ignored) if self.ignored else "nothing"
        lines.append(
            f"(matched by {'type, subject, occurrence' if self.match == 'key' else 'id'}; ignoring {ignored})"
        )
        shown = 0
        for label, document in self.missing:
            if shown >= limit:
                break
            lines.append(f"- missing  {label}  (only in {left_name}, id {document.get('id', '?')})")
            shown += 1
        for label, document in self.extra:
            if shown >= limit:
                break
            lines.append(f"+ extra    {label}  (only in {right_name}, id {document.get('id', '?')})")
            shown += 1
        for change in self.changed:
            if shown >= limit:
                break
            lines.append(f"~ changed  {change.label}")
            width = max(len(c.path) for c in change.changes)
            for c in change.changes:
                lines.append(
                    f"    {c.path.ljust(width)}  {left_name}: {_show(c.left)}  {right_name}: {_show(c.right)}"
                )
            shown += 1
        hidden = len(self.missing) + len(self.extra) + len(self.changed) - shown
        if hidden > 0:
            lines.append(f"… and {hidden} more differences")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "…"


def parse_path(path: str) -> tuple[str, ...]:
    """``data.cost_rates.0.hourly_cost`` → segments; each segment may be a glob (``data.*_at``)."""
    segments = tuple(path.strip().split("."))
    if not path.strip() or any(not s for s in segments):
        raise ValueError(f"{path!r} is not a field path like 'id', 'time' or 'data.generated_at'")
    return segments


def _ignored(path: tuple[str, ...], patterns: Sequence[tuple[str, ...]]) -> bool:
    """A path is ignored when a pattern matches it or one of its parents, segment by segment."""
    for pattern in patterns:
        if len(pattern) <= len(path) and all(
            fnmatch.fnmatchcase(segment, p) for segment, p in zip(path, pattern, strict=False)
        ):
            return True
    return False


def compare(
    left: Any, right: Any, ignore: Sequence[tuple[str, ...]] = (), path: tuple[str, ...] = ()
) -> list[FieldChange]:
    """Every leaf that differs between two JSON values, except the ignored paths."""
    if path and _ignored(path, ignore):
        return []
    if isinstance(left, dict) and isinstance(right, dict):
        out: list[FieldChange] = []
        for key in sorted(set(left) | set(right), key=str):
            out.extend(compare(left.get(key, ABSENT), right.get(key, ABSENT), ignore, (*path, str(key))))
        return out
    if isinstance(left, list) and isinstance(right, list):
        out = []
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ABSENT
            b = right[i] if i < len(right) else ABSENT
            out.extend(compare(a, b, ignore, (*path, str(i))))
        return out
    if left is ABSENT and right is ABSENT:
        return []
    if type(left) is not type(right) or left != right:
        return [FieldChange(".".join(path) or "(event)", left, right)]
    return []


def _keys(documents: Sequence[Document], match: Match) -> list[tuple[tuple[str, str, int], str]]:
    """The matching key of each document and its label, ``n`` counting earlier equal keys."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for document in documents:
        if match == "id":
            base = ("id", str(document.get("id", "")))
            label = f"id {base[1]}"
        else:
            base = (str(document.get("type", "")), str(document.get("subject") or ""))
            label = f"{base[0]} {base[1] or '(no subject)'}"
        n = seen[base]
        seen[base] += 1
        out.append(((base[0], base[1], n), f"{label} #{n + 1}"))
    return out


def diff_events(
    left: Iterable[Envelope[Any] | Mapping[str, Any]],
    right: Iterable[Envelope[Any] | Mapping[str, Any]],
    *,
    ignore: Sequence[str] = (),
    match: Match = "key",
) -> LogDiff:
    """Compare two runs. ``left`` is the expectation (golden), ``right`` what happened.

    Events are matched by ``(type, subject, n-th occurrence of that pair)`` (``match="key"``, so
    regenerated ids do not matter once ``id`` is ignored) or by ``id``. Nothing is ignored unless
    named: ``ignore=["id", "time", "data.generated_at"]``; a path covers everything below it and
    each segment may be a glob.
    """
    if match not in ("key", "id"):
        raise ValueError(f"match must be 'key' or 'id', not {match!r}")
    patterns = [parse_path(p) for p in ignore]
    lefts = [as_document(e) for e in left]
    rights = [as_document(e) for e in right]
    right_by_key = {
        key: (label, document) for (key, label), document in zip(_keys(rights, match), rights, strict=True)
    }
    result = LogDiff(ignored=tuple(ignore), match=match)
    matched: set[tuple[str, str, int]] = set()
    for (key, label), document in zip(_keys(lefts, match), lefts, strict=True):
        other = right_by_key.get(key)
        if other is None:
            result.missing.append((label, document))
            continue
        matched.add(key)
        changes = compare(document, other[1], patterns)
        if changes:
            result.changed.append(Changed(label, document, other[1], tuple(changes)))
        else:
            result.equal += 1
    for key, (label, document) in right_by_key.items():
        if key not in matched:
            result.extra.append((label, document))
    return result


def assert_matches_golden(
    actual: Iterable[Envelope[Any] | Mapping[str, Any]],
    golden: str | Path,
    *,
    ignore: Sequence[str] = (),
    match: Match = "key",
    update: bool | None = None,
) -> None:
    """Assert ``actual`` equals the golden JSONL file; with ``update`` (default: the environment
    variable ``MSP_UPDATE_GOLDEN=1``) write it instead. A mismatch fails with the diff report."""
    documents = [as_document(e) for e in actual]
    path = Path(golden)
    if update is None:
        update = os.environ.get(UPDATE_GOLDEN_ENV, "").lower() in ("1", "true", "yes")
    if update:
        write_documents(documents, path)
        return
    if not path.exists():
        raise AssertionError(
            f"golden file {path} does not exist: run the test with {UPDATE_GOLDEN_ENV}=1 to write it "
            f"({len(documents)} events), then review and commit it"
        )
    result = diff_events(read_documents(path), documents, ignore=ignore, match=match)
    if not result.is_equal:
        raise AssertionError(
            result.render(left_name=f"golden {path.name}", right_name="actual")
            + f"\n(if the change is intended: {UPDATE_GOLDEN_ENV}=1 rewrites {path})"
        )


# -- the harness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """A message the service dead-lettered, with the reason the runtime gave."""

    topic: str
    """The input topic it came from (logical, no prefix)."""
    reason: str
    detail: str
    attempts: int
    headers: Headers
    value: bytes | None
    envelope: Envelope[Any] | None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return None

    def document(self) -> Document:
        """Comparable with ``diff_events`` / ``assert_matches_golden`` (no partitions or offsets)."""
        return {
            "type": self.header("ce_type") or "",
            "subject": self.header("ce_subject") or "",
            "id": self.header("ce_id") or "",
            "topic": self.topic,
            "reason": self.reason,
            "detail": self.detail,
            "attempts": self.attempts,
            "event": as_document(self.envelope) if self.envelope is not None else None,
        }


@dataclass
class ReplayResult:
    service: str
    inputs: list[Envelope[Any]]
    """The events fed to the service (those of the log on topics it consumes), in log order."""
    skipped: int
    """Events of the log on topics the service does not consume (not published)."""
    outputs: list[Envelope[Any]]
    """What the service published, ordered by event time then id (both deterministic)."""
    dead_letters: list[DeadLetter]
    """What it dead-lettered, in the order of the inputs."""
    state: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    """The service's own tables at the end (``snapshot=True``): rows as strings, sorted, per table."""

    def dead_letter_documents(self) -> list[Document]:
        return [d.document() for d in self.dead_letters]


ServiceFactory = Callable[..., Service]


def _processed(service: Service) -> float:
    """Messages finished by the pump: handled, dropped as duplicates or dead-lettered.

    Only these three counters are collected: the harness polls this every 10 ms, and collecting the
    whole registry (handler histograms included) cost a long replay seconds of CPU."""
    total = 0.0
    metrics = service.metrics
    for counter in (metrics.consumed, metrics.duplicates, metrics.dead_lettered):
        for family in counter.collect():
            total += sum(s.value for s in family.samples if s.name.endswith("_total"))
    return total


def _pending_outbox(service: Service) -> int:
    with service.engine.connect() as connection:
        pending: int = connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()
    return pending


def _ordered(envelopes: Iterable[Envelope[Any]]) -> list[Envelope[Any]]:
    return sorted(envelopes, key=lambda e: (e.time, e.id))


def _dead_letter(topic: str, record: Record) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    try:
        envelope: Envelope[Any] | None = decode(record.value, record.headers)
    except DecodeError:
        envelope = None
    return DeadLetter(
        topic=topic,
        reason=headers.get("x-dlt-reason", ""),
        detail=headers.get("x-dlt-detail", ""),
        attempts=int(headers.get("x-dlt-attempts", "0") or 0),
        headers=list(record.headers),
        value=record.value,
        envelope=envelope,
    )


async def replay(
    create_service: ServiceFactory,
    settings: ServiceSettings,
    log: str | Path | Iterable[Envelope[Any]],
    *,
    transport: Literal["inprocess", "kafka"] = "inprocess",
    database_url: str | None = None,
    kafka_bootstrap: str | None = None,
    topic_prefix: str | None = None,
    timeout_s: float = 60.0,
    order: Order = "log",
    restart_after: int | None = None,
    snapshot: bool = False,
) -> ReplayResult:
    """Feed ``log`` (a JSONL path or envelopes) into one service and collect what it published.

    The service always starts from an empty database: ``database_url`` (e.g. the ``postgres_url``
    fixture), else a temporary SQLite file. ``transport="kafka"`` uses ``kafka_bootstrap`` (else
    the settings' bootstrap servers) and a unique topic prefix (``topic_prefix`` to choose it), so
    runs never see each other. Events on topics the service does not consume are left out.

    ``order="log"`` (the default) makes the service handle the events in the log's order, also
    across topics: each run of consecutive same-topic events is published only when the service
    has finished the ones before. That is what a recorded log means, and it makes the outputs the
    same on both transports (a broker interleaves topics as it likes; a clock tick handled before
    the time entries logged ahead of it would close a month early). ``order="day"`` publishes each
    UTC day of event time at once and waits between days: for long simulated logs, where a wait per
    topic switch would be slow and a day is the clock's granularity. ``order="broker"`` publishes
    everything at once and lets the broker interleave, to test that the state converges anyway.
    ``order="backlog"`` publishes everything *before* the service starts, as after an outage or a
    backfill: every input partition has records waiting, and event-time alignment must hand them
    to the handlers in the same order as ``"log"`` does.

    ``restart_after=N`` stops the service once it has finished N messages and starts a new
    instance on the same database and consumer group (another start time: it resumes from the
    committed offsets). ``snapshot=True`` returns the service's own tables in ``state``.
    """
    inputs = list(eventlog.read(log)) if isinstance(log, str | Path) else list(log)
    with tempfile.TemporaryDirectory(prefix="msp-replay-") as tmp:
        url = database_url or f"sqlite:///{tmp}/{settings.service_name}.db"
        kafka = settings.kafka
        if transport == "kafka":
            kafka = kafka.model_copy(
                update={
                    "bootstrap_servers": kafka_bootstrap or kafka.bootstrap_servers,
                    "topic_prefix": topic_prefix if topic_prefix is not None else f"r{uuid.uuid4().hex[:8]}.",
                    "session_timeout_ms": 6000,
                    "heartbeat_interval_ms": 500,
                }
            )
        elif transport != "inprocess":
            raise ValueError(f"transport must be 'inprocess' or 'kafka', not {transport!r}")
        run_settings = settings.model_copy(
            update={
                "transport": transport,
                "database_url": url,
                "kafka": kafka,
                "migrate_on_start": True,
                "consumer_enabled": True,
                "relay_enabled": True,
                "relay_poll_s": min(settings.relay_poll_s, 0.1),
            }
        )
        bus = InProcessBus() if transport == "inprocess" else None
        chosen: Transport = bus if bus is not None else KafkaTransport(kafka, client_id="msp-replay-harness")
        return await _run(
            lambda: create_service(run_settings, transport=chosen),
            chosen,
            bus,
            inputs,
            timeout_s,
            order,
            restart_after=restart_after,
            snapshot=snapshot,
        )


Order = Literal["log", "day", "broker", "backlog"]


async def replay_on_sqlite_and_kafka(
    create_service: ServiceFactory,
    settings: ServiceSettings,
    log: str | Path | Iterable[Envelope[Any]],
    *,
    sqlite_path: str | Path,
    kafka_bootstrap: str,
    postgres_url: str,
    state: Callable[[str], Any],
    timeout_s: float = 60.0,
) -> ReplayResult:
    """Replay ``log`` in process on SQLite, then on real Kafka + PostgreSQL, and require the same state.

        Why: a service's integration test proves that what the fast in-process run shows also holds
        on the production transport and database (ordering across topics, Decimal and time types,
        SQL dialect). ``state(url)`` reads what the test compares from a database (rows as tuples,
        a ledger as a document); it must be truthy on PostgreSQL (return an empty value when there is
    nothing to compare: that fails) and equal on both. Nothing may be
        dead-lettered on Kafka. Returns the Kafka run, for its outputs.
    """
    events = list(eventlog.read(log)) if isinstance(log, str | Path) else list(log)
    sqlite = f"sqlite:///{sqlite_path}"
    await replay(create_service, settings, events, database_url=sqlite, timeout_s=timeout_s)
    result = await replay(
        create_service,
        settings,
        events,
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        timeout_s=timeout_s,
    )
    assert result.dead_letters == [], [d.reason for d in result.dead_letters]
    on_postgres = state(postgres_url)
    assert on_postgres, "the compared state is empty on PostgreSQL"
    assert on_postgres == state(sqlite)
    return result


async def _run(
    make_service: Callable[[], Service],
    transport: Transport,
    bus: InProcessBus | None,
    inputs: list[Envelope[Any]],
    timeout_s: float,
    order: Order = "log",
    *,
    restart_after: int | None = None,
    snapshot: bool = False,
) -> ReplayResult:
    service = make_service()
    consumed = set(service.input_topics)
    fed = [e for e in inputs if e.spec.topic in consumed]
    runs = _topic_runs(fed) if order == "log" else _day_runs(fed) if order == "day" else [fed]
    deadline = time.monotonic() + timeout_s
    if order == "backlog":
        await transport.ensure_topics(service.topic_partitions())
        await _publish(transport, fed)
        runs = []
    await service.start()
    finished_before = 0.0  # messages finished by instances stopped for a restart

    def processed() -> float:
        return finished_before + _processed(service)

    try:
        producer = transport.producer()
        await producer.start()
        try:
            done = 0
            for run in runs:
                await producer.send_all([eventlog.to_outgoing(e) for e in run])
                done += len(run)
                await _wait_until(service, deadline, lambda n=done: processed() >= n, len(fed))  # type: ignore[misc]
        finally:
            await producer.stop()
        if restart_after is not None:
            await _wait_until(service, deadline, lambda: processed() >= restart_after, len(fed))
            await service.stop()
            finished_before += _processed(service)
            service = make_service()
            await service.start()
        await _wait_until(
            service,
            deadline,
            lambda: processed() >= len(fed) and service.is_idle() and not _pending_outbox(service),
            len(fed),
        )
        input_ids = {e.id for e in fed}
        output_topics = sorted(
            {s.topic for s in (*REGISTRY.owned_by(service.name), *REGISTRY.owned_by("agents"))}
        )
        outputs: list[Envelope[Any]] = []
        for topic in output_topics:
            for record in await _records(transport, bus, topic):
                envelope = decode(record.value, record.headers)
                if envelope.id not in input_ids:
                    outputs.append(envelope)
        position = {e.id: i for i, e in enumerate(fed)}
        dead: list[DeadLetter] = []
        for topic in service.input_topics:
            for record in await _records(transport, bus, dead_letter_topic(service.name, topic)):
                dead.append(_dead_letter(topic, record))
        dead.sort(key=lambda d: (position.get(d.header("ce_id") or "", len(position)), d.topic, d.reason))
        state = _state(service) if snapshot else {}
    finally:
        await service.stop()
    return ReplayResult(
        service=service.name,
        inputs=fed,
        skipped=len(inputs) - len(fed),
        outputs=_ordered(outputs),
        dead_letters=dead,
        state=state,
    )


async def _publish(transport: Transport, events: list[Envelope[Any]]) -> None:
    producer = transport.producer()
    await producer.start()
    try:
        await producer.send_all([eventlog.to_outgoing(e) for e in events])
    finally:
        await producer.stop()


def _state(service: Service) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the service's own tables, as strings, sorted: comparable across runs and
    backends (the runtime's inbox and outbox carry wall-clock times and are left out)."""
    if service.metadata is None:
        return {}
    state: dict[str, list[tuple[str, ...]]] = {}
    with service.engine.connect() as connection:
        for table in service.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            state[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return state


def _day_runs(events: list[Envelope[Any]]) -> list[list[Envelope[Any]]]:
    """Consecutive events of one UTC day of event time, in log order."""
    runs: list[list[Envelope[Any]]] = []
    for event in events:
        if runs and runs[-1][-1].time.astimezone(UTC).date() == event.time.astimezone(UTC).date():
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def _topic_runs(events: list[Envelope[Any]]) -> list[list[Envelope[Any]]]:
    """Consecutive events of one topic, in log order."""
    runs: list[list[Envelope[Any]]] = []
    for event in events:
        if runs and runs[-1][-1].spec.topic == event.spec.topic:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


async def _wait_until(service: Service, deadline: float, condition: Callable[[], bool], total: int) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{service.name} finished {_processed(service):.0f} of {total} events and has "
                f"{_pending_outbox(service)} unrelayed outbox rows before the timeout"
            )
        await asyncio.sleep(0.01)


async def _records(transport: Transport, bus: InProcessBus | None, topic: str) -> list[Record]:
    if bus is not None:
        return bus.records(topic)
    assert isinstance(transport, KafkaTransport)
    from msp_events.testing.kafka import read_topic

    return await read_topic(transport.settings.bootstrap_servers, transport.physical(topic))
