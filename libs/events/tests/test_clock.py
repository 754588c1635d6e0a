"""The platform clock: ticks fall on period boundaries, so a repeated or concurrent run publishes
the same tick with the same id (which every inbox drops), never a second "now"."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msp_events import clock
from msp_events.cli import app
from msp_events.codec.kafka import decode
from msp_events.runtime.inprocess import InProcessBus
from msp_events.testing.kafka import read_topic

HOUR = timedelta(hours=1)


def test_a_tick_is_the_start_of_the_period_in_utc() -> None:
    now = datetime(2026, 12, 2, 19, 42, 7, 123, tzinfo=UTC)
    assert clock.tick_time(now, HOUR) == datetime(2026, 12, 2, 19, tzinfo=UTC)
    assert clock.tick_time(now, timedelta(days=1)) == datetime(2026, 12, 2, tzinfo=UTC)
    assert clock.tick_time(now, timedelta(minutes=15)) == datetime(2026, 12, 2, 19, 30, tzinfo=UTC)
    berlin = now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert clock.tick_time(berlin, HOUR) == datetime(2026, 12, 2, 19, tzinfo=UTC)


def test_every_moment_of_one_period_gives_the_same_tick_and_id() -> None:
    first = clock.tick(datetime(2026, 12, 2, 19, 0, 0, tzinfo=UTC), HOUR)
    last = clock.tick(datetime(2026, 12, 2, 19, 59, 59, 999999, tzinfo=UTC), HOUR)
    following = clock.tick(datetime(2026, 12, 2, 20, 0, 0, tzinfo=UTC), HOUR)
    assert first.id == last.id and first.data == last.data
    assert following.id != first.id
    assert following.data.now - first.data.now == HOUR
    assert (first.data.granularity, first.time) == ("hour", first.data.now)


def test_wrong_input_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        clock.tick_time(datetime(2026, 12, 2), HOUR)
    with pytest.raises(ValueError, match="positive"):
        clock.tick_time(datetime(2026, 12, 2, tzinfo=UTC), timedelta(0))
    result = CliRunner().invoke(app, ["clock", "--period", "1w", "--once"])
    assert result.exit_code == 2
    assert "not a period" in result.output


async def test_run_publishes_now_and_at_each_boundary() -> None:
    bus = InProcessBus()
    producer = bus.producer()
    stop = asyncio.Event()
    # The loop reads the wall clock twice a round (to tick, then to know how long to wait).
    moments = iter(
        [
            datetime(2026, 12, 2, 18, 59, 59, 990000, tzinfo=UTC),
            datetime(2026, 12, 2, 18, 59, 59, 995000, tzinfo=UTC),
            datetime(2026, 12, 2, 19, 0, 0, 1000, tzinfo=UTC),
        ]
    )

    def wall_clock() -> datetime:
        try:
            return next(moments)
        except StopIteration:
            stop.set()  # asked how long to wait after the second tick: that is enough
            return datetime(2026, 12, 2, 19, 0, 0, 2000, tzinfo=UTC)

    await asyncio.wait_for(clock.run(producer, HOUR, wall_clock=wall_clock, stop=stop), 5)
    ticks = [decode(r.value, r.headers) for r in bus.records("clock.ticked")]
    assert [t.data.now for t in ticks] == [
        datetime(2026, 12, 2, 18, tzinfo=UTC),
        datetime(2026, 12, 2, 19, tzinfo=UTC),
    ]


@pytest.mark.integration
def test_two_runs_in_one_period_publish_one_tick_twice_with_one_id(kafka_bootstrap: str) -> None:
    prefix = f"clk{uuid.uuid4().hex[:6]}."
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "KAFKA_TOPIC_PREFIX": prefix}
    command = [str(Path(sys.executable).with_name("msp-events")), "clock", "--once", "--period", "1d"]
    from msp_events.runtime.kafka import ensure_topics
    from msp_events.runtime.settings import KafkaSettings

    asyncio.run(
        ensure_topics(
            KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix), {"clock.ticked": 1}
        )
    )
    for _ in range(2):  # two replicas, or a retried CronJob
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    records = asyncio.run(read_topic(kafka_bootstrap, prefix + "clock.ticked"))
    ticks = [decode(r.value, r.headers) for r in records]
    assert len(ticks) == 2
    assert ticks[0].id == ticks[1].id  # the inboxes keep one
    assert ticks[0].data.now == clock.tick_time(datetime.now(UTC), timedelta(days=1)) or (
        ticks[0].data.now == clock.tick_time(datetime.now(UTC), timedelta(days=1)) - timedelta(days=1)
    )  # unless the day turned between the run and this line
