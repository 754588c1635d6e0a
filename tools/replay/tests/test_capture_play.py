"""capture → play → capture → diff on real Kafka, and capture by time range (``integration``).

Each test works under its own topic prefixes, so runs never see each other. The CLI runs as a user
would run it (``CliRunner``; these tests are synchronous because the CLI runs its own event loop).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from msp_events import Envelope, eventlog
from msp_events.runtime.transport import Outgoing, Record
from msp_events.testing.kafka import produce, read_topic
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted

from msp_replay.cli import app

pytestmark = pytest.mark.integration
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TOPICS = ("psa.client.upserted", "clock.ticked")
runner = CliRunner()


def client(client_id: str, name: str, minute: int) -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id=client_id, name=name, status="active", created_on=date(2024, 1, 1))
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def tick(minute: int) -> Envelope[Any]:
    now = T0 + timedelta(minutes=minute)
    return Envelope.build(ClockTicked(clock="utc", now=now), source="platform.clock", time=now)


def a_day(n: int = 12, start: int = 0) -> list[Envelope[Any]]:
    """Clients C-0..C-3 changing name over ``n`` minutes, with a tick every fourth minute."""
    events: list[Envelope[Any]] = []
    for minute in range(start, start + n):
        if minute % 4 == 0:
            events.append(tick(minute))
        events.append(client(f"C-{minute % 4}", f"name {minute}", minute))
    return events


def cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def contents(bootstrap: str, prefix: str) -> dict[tuple[str, int], list[tuple[Any, ...]]]:
    """What the topics hold, per partition in offset order: key, value and ce_ headers."""
    out: dict[tuple[str, int], list[tuple[Any, ...]]] = defaultdict(list)
    for topic in TOPICS:
        records: list[Record] = asyncio.run(read_topic(bootstrap, prefix + topic))
        for r in records:
            ce = tuple(sorted((k, v) for k, v in r.headers if k.startswith("ce_")))
            out[(topic, r.partition)].append((r.key, r.value, ce))
    return dict(out)


def test_capture_play_capture_reproduces_the_topics(kafka_bootstrap: str, tmp_path: Path) -> None:
    first, second = f"t{uuid.uuid4().hex[:8]}.", f"t{uuid.uuid4().hex[:8]}."
    kafka = ["--kafka", f"kafka://{kafka_bootstrap}"]
    log = tmp_path / "day.jsonl"
    eventlog.write(a_day(), log)
    played = cli("play", str(log), "--to", f"kafka://{kafka_bootstrap}", "--prefix", first)
    assert "15 events published" in played.output
    # a record no CloudEvents codec can read: reported and kept aside, never silently dropped
    asyncio.run(produce(kafka_bootstrap, [Outgoing(first + TOPICS[0], b"C-9", b"{oops", [])]))

    captured, raw = tmp_path / "captured.jsonl", tmp_path / "raw.jsonl"
    report = cli("capture", *TOPICS, "-o", str(captured), "--prefix", first, "--raw-errors", str(raw), *kafka)
    assert "15 events written" in report.output and "16 records read" in report.output
    assert "1 records did not decode (1 missing-ce-headers)" in report.output
    [bad] = [json.loads(line) for line in raw.read_text().splitlines()]
    assert (bad["topic"], bad["key"], bad["value"], bad["reason"]) == (
        TOPICS[0],
        {"text": "C-9"},
        {"text": "{oops"},
        "missing-ce-headers",
    )
    strict = runner.invoke(
        app, ["capture", *TOPICS, "-o", str(captured), "--prefix", first, "--strict", *kafka]
    )
    assert strict.exit_code == 1

    cli("play", str(captured), "--to", f"kafka://{kafka_bootstrap}", "--prefix", second)
    recaptured = tmp_path / "recaptured.jsonl"
    cli("capture", "--all", "-o", str(recaptured), "--prefix", second, *kafka)

    assert "15 equal, 0 missing, 0 extra, 0 changed" in cli("diff", str(captured), str(recaptured)).output
    assert cli("diff", str(log), str(captured), "--by", "id").exit_code == 0
    assert captured.read_bytes() == recaptured.read_bytes()
    assert [eventlog.dumps(e) for e in eventlog.read(captured)] == sorted(
        (eventlog.dumps(e) for e in a_day()),
        key=lambda line: (json.loads(line)["time"], json.loads(line)["id"]),
    )
    # the second cluster prefix holds exactly what the first did, partition by partition
    before = contents(kafka_bootstrap, first)
    before[(TOPICS[0], _partition_of(before, b"C-9"))].pop()  # the undecodable one is not replayed
    assert contents(kafka_bootstrap, second) == before


def _partition_of(contents: dict[tuple[str, int], list[tuple[Any, ...]]], key: bytes) -> int:
    [partition] = [p for (t, p), rows in contents.items() if t == TOPICS[0] and rows and rows[-1][0] == key]
    return partition


def test_capture_by_time_range_picks_exactly_the_events_in_it(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    batches = [a_day(4, 0), a_day(4, 100), a_day(4, 200)]
    marks: list[str] = []
    for i, batch in enumerate(batches):
        log = tmp_path / f"batch{i}.jsonl"
        eventlog.write(batch, log)
        if i:
            time.sleep(0.05)
            marks.append(datetime.now(UTC).isoformat())
            time.sleep(0.05)
        cli("play", str(log), "--to", f"kafka://{kafka_bootstrap}", "--prefix", prefix)
    kafka = ["--kafka", f"kafka://{kafka_bootstrap}", "--prefix", prefix]

    middle = tmp_path / "middle.jsonl"
    cli("capture", *TOPICS, "-o", str(middle), "--since", marks[0], "--until", marks[1], *kafka)
    assert {e.id for e in eventlog.read(middle)} == {e.id for e in batches[1]}

    last = tmp_path / "last.jsonl"
    cli("capture", *TOPICS, "-o", str(last), "--since", marks[1], *kafka)
    assert {e.id for e in eventlog.read(last)} == {e.id for e in batches[2]}

    first_c1 = tmp_path / "first-c1.jsonl"
    cli(
        "capture",
        "psa.client.upserted",
        "-o",
        str(first_c1),
        "--until",
        marks[0],
        "-w",
        "subject=client/C-1",
        *kafka,
    )
    assert [e.id for e in eventlog.read(first_c1)] == [e.id for e in batches[0] if e.subject == "client/C-1"]

    head = tmp_path / "head.jsonl"
    cli("capture", "clock.ticked", "-o", str(head), "--until-offset", "1", *kafka)
    assert [e.id for e in eventlog.read(head)] == [batches[0][0].id]  # clock.ticked has one partition
