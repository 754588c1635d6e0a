"""The platform clock: the one process that reads the wall clock and says what time it is.

Handlers never read the wall clock; time-based rules (a month closes, a notice period runs out, a
model is retrained) act on the latest ``clock.ticked`` a service has handled. Something has to
publish those ticks in a deployment: ``msp-events clock`` does, once (a Kubernetes CronJob) or in a
loop (a compose service).

A tick is the start of the current period (``--period 1h``: the top of the hour, UTC), never the
instant the process happened to wake. So two replicas, a restarted CronJob or a retried run publish
the *same* tick, with the same id (derived from its time, ``Envelope.build``), and every service's
inbox drops the copy: a tick can be late or repeated, never doubled. Missed periods are not
replayed: a tick says "it is now at least T", and the next one covers everything before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from msp_events.envelope import Envelope
from msp_events.eventlog import to_outgoing
from msp_events.runtime.transport import ProducerPort
from msp_events.types.platform import ClockTicked

log = logging.getLogger(__name__)
SOURCE = "msp.platform.clock"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GRANULARITIES = {timedelta(minutes=1): "minute", timedelta(hours=1): "hour", timedelta(days=1): "day"}


def tick_time(now: datetime, period: timedelta) -> datetime:
    """The start of the period ``now`` falls in (UTC, aligned to the epoch)."""
    if now.tzinfo is None:
        raise ValueError("the clock works on aware UTC times only")
    if period <= timedelta(0):
        raise ValueError(f"the period must be positive, not {period}")
    elapsed = now.astimezone(UTC) - _EPOCH
    return _EPOCH + (elapsed // period) * period


def tick(now: datetime, period: timedelta) -> Envelope[ClockTicked]:
    """The tick for the period ``now`` falls in: the same envelope, id included, for every ``now``
    within one period."""
    at = tick_time(now, period)
    granularity = GRANULARITIES.get(period, "custom")
    return Envelope.build(ClockTicked(now=at, granularity=granularity), source=SOURCE, time=at)


async def publish_tick(producer: ProducerPort, now: datetime, period: timedelta) -> Envelope[ClockTicked]:
    envelope = tick(now, period)
    await producer.send_all([to_outgoing(envelope)])
    log.info("clock.ticked %s (id %s)", envelope.data.now.isoformat(), envelope.id)
    return envelope


async def run(
    producer: ProducerPort,
    period: timedelta,
    *,
    wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: asyncio.Event | None = None,
) -> None:
    """Publish the current tick now, then one at the start of every period until ``stop``."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        now = wall_clock()
        await publish_tick(producer, now, period)
        wait = (tick_time(now, period) + period - wall_clock()).total_seconds()
        try:
            await asyncio.wait_for(stop.wait(), max(wait, 0.0) + 0.01)
        except TimeoutError:
            continue
