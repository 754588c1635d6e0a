"""Data in: how fast the simulator writes, ``play`` publishes to Kafka and ``capture`` reads back.

Each figure is printed beside a baseline measured in the same run, on the same data:

- generate: ``msp-sim generate`` vs re-encoding the same log (parse + validate + canonical dump
  per line), i.e. what writing those events costs at the least;
- publish: ``msp-replay play`` (read the log, validate, binary CloudEvents, acks=all) vs raw
  aiokafka sending the same pre-encoded messages;
- capture: ``msp-replay capture`` (no group, decode, filter, sort, write JSONL) vs a raw aiokafka
  consumer reading the same partitions to their end;
- memory (``--big``): peak RSS of ``msp-sim generate`` for 1,000 clients x 36 months, in a child
  process, vs the peak of a 1-client x 1-month run (the interpreter and imports).

A measurement, not a test: nothing asserts a time.

    .venv/bin/python bench/data_in.py [--clients 40 --months 12] [--big]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from rich.console import Console
from rich.table import Table

from msp_events import eventlog
from msp_events.runtime.kafka import connection_options, ensure_topics
from msp_events.runtime.settings import KafkaSettings

from msp_replay import play as play_mod
from msp_replay.capture import capture
from msp_replay.filters import known_topics
from msp_sim.generate import generate
from msp_sim.params import Params

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
console = Console()


def rate(events: int, seconds: float) -> float:
    return events / seconds if seconds > 0 else float("inf")


def bench_generate(params: Params, out: Path) -> tuple[int, float, float]:
    started = time.perf_counter()
    stats = generate(params, out)
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    with (out.parent / "reencoded.jsonl").open("w", encoding="utf-8") as file:
        for envelope in eventlog.read(out):
            file.write(eventlog.dumps(envelope) + "\n")
    reencode_s = time.perf_counter() - started
    return stats.events, generate_s, reencode_s


async def raw_publish(settings: KafkaSettings, log: Path) -> tuple[int, float]:
    messages = [eventlog.to_outgoing(e) for e in eventlog.read(log)]
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **connection_options(settings))
    await producer.start()
    started = time.perf_counter()
    try:
        batch = []
        for m in messages:
            batch.append(
                await producer.send(settings.topic_prefix + m.topic, m.value, key=m.key, headers=m.headers)
            )
            if len(batch) >= 500:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
    finally:
        await producer.stop()
    return len(messages), time.perf_counter() - started


async def raw_read(settings: KafkaSettings, topics: dict[str, int]) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(enable_auto_commit=False, group_id=None, **connection_options(settings))
    await consumer.start()
    try:
        started = time.perf_counter()
        partitions = [
            TopicPartition(settings.topic_prefix + t, p) for t, n in topics.items() for p in range(n)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        remaining = {tp: n for tp, n in end.items() if n > 0}
        count = 0
        while remaining:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                count += len(records)
                if records and records[-1].offset + 1 >= end[tp]:
                    remaining.pop(tp, None)
        return count, time.perf_counter() - started
    finally:
        await consumer.stop()


async def bench_kafka(log: Path) -> list[tuple[str, int, float, int, float]]:
    in_log = {e.spec.topic for e in eventlog.read(log)}
    topics = {t: n for t, n in known_topics().items() if t in in_log}
    run = uuid.uuid4().hex[:8]
    raw = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=f"bench-raw-{run}.")
    ours = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=f"bench-play-{run}.")
    await ensure_topics(raw, topics)
    await ensure_topics(ours, topics)  # both timed runs start with their topics in place
    raw_n, raw_s = await raw_publish(raw, log)
    started = time.perf_counter()
    report = await play_mod.play(log, f"kafka://{BOOTSTRAP}", topic_prefix=ours.topic_prefix, topics=topics)
    play_s = time.perf_counter() - started
    event_topics = sorted(topics)
    read_n, read_s = await raw_read(ours, topics)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        captured = await capture(ours, event_topics, Path(tmp) / "captured.jsonl")
        capture_s = time.perf_counter() - started
    return [
        ("publish to Kafka", report.published, play_s, raw_n, raw_s),
        ("capture from Kafka", captured.written, capture_s, read_n, read_s),
    ]


# Linux keeps a process's peak RSS across exec, so a child forked from this (large) process would
# report our peak, not its own. A small wrapper interpreter forks the measured command instead
# and reports the peak of its own children.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """Peak RSS (MB) and wall seconds of a command, measured by a small wrapper process."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        raise RuntimeError(child.stderr[-2000:])
    return int(child.stdout.split()[-1]) / 1024, time.perf_counter() - started


def bench_memory(tmp: Path, clients: int, months: int) -> None:
    sim = [str(Path(sys.executable).with_name("msp-sim")), "generate", "--seed", "1"]
    small_rss, _ = peak_rss_mb(
        [*sim, "--clients", "1", "--technicians", "1", "--months", "1", "--out", str(tmp / "tiny.jsonl")]
    )
    out = tmp / "big.jsonl"
    console.print(f"generating {clients} clients x {months} months (a few minutes) …")
    big_rss, seconds = peak_rss_mb(
        [
            *sim,
            "--clients",
            str(clients),
            "--technicians",
            str(max(8, clients // 5)),
            "--months",
            str(months),
            "--out",
            str(out),
        ]
    )
    events = eventlog.count(out)
    table = Table("case", "events", "file MB", "wall s", "events/s", "peak RSS MB", title="memory")
    table.add_row("1 client x 1 month (baseline)", "-", "-", "-", "-", f"{small_rss:,.0f}")
    table.add_row(
        f"{clients} clients x {months} months",
        f"{events:,}",
        f"{out.stat().st_size / 1e6:,.0f}",
        f"{seconds:,.0f}",
        f"{rate(events, seconds):,.0f}",
        f"{big_rss:,.0f}",
    )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--technicians", type=int, default=8)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--big", action="store_true", help="also the 1,000 clients x 36 months memory case")
    parser.add_argument("--big-clients", type=int, default=1000)
    parser.add_argument("--big-months", type=int, default=36)
    parser.add_argument("--memory-only", action="store_true", help="only the memory case")
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # leader elections on fresh topics are retried

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "sim.jsonl"
        if args.memory_only:
            bench_memory(tmp, args.big_clients, args.big_months)
            return
        params = Params(seed=1, clients=args.clients, technicians=args.technicians, months=args.months)
        console.print(f"generating {args.clients} clients x {args.months} months …")
        events, generate_s, reencode_s = bench_generate(params, log)
        rows = [("generate", events, generate_s, events, reencode_s)]
        console.print(f"publishing and capturing {events:,} events on Kafka at {BOOTSTRAP} …")
        rows += asyncio.run(bench_kafka(log))
        table = Table("step", "events", "events/s", "baseline", "baseline events/s", "ratio", title="data in")
        baselines = {
            "generate": "re-encode the log",
            "publish to Kafka": "raw aiokafka send",
            "capture from Kafka": "raw aiokafka read",
        }
        for name, n, seconds, base_n, base_s in rows:
            ours, base = rate(n, seconds), rate(base_n, base_s)
            table.add_row(
                name, f"{n:,}", f"{ours:,.0f}", baselines[name], f"{base:,.0f}", f"{ours / base:.2f}"
            )
        console.print(table)
        if args.big:
            bench_memory(tmp, args.big_clients, args.big_months)


if __name__ == "__main__":
    main()
