"""Watching that the consumer makes progress: lag, stalled partitions, readiness.

A partition is *stalled* when it has records after its committed offset (lag > 0) and nothing was
committed on it for ``stall_after_s``. An idle partition (lag 0) is never stalled, and a partition
that just received records starts its clock then, not at its last commit. The pump's commits are
seen through ``TrackedConsumer`` (a thin wrapper of the ``ConsumerPort``), the lag comes from the
transport (``ConsumerPort.lag``: end offsets minus committed offsets).

Why: a partition that stops behind one message, or a consumer that does not resume after a broker
outage, otherwise shows nothing: the process is alive, the broker and the database answer, so
``/readyz`` said 200 while the lag grew without bound. Now ``/readyz`` answers 503 with
``"consumer": false`` and the reason, and ``msp_consumer_stalled_partitions`` /
``msp_consumer_seconds_since_progress`` feed the chart's alerting rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.transport import ConsumerPort, Record, TopicPartition

log = logging.getLogger(__name__)
LAG_TIMEOUT_S = 10.0


class TrackedConsumer:
    """The service's consumer, reporting each commit to the monitor (the pump sees no difference)."""

    def __init__(self, inner: ConsumerPort, monitor: ProgressMonitor) -> None:
        self.inner = inner
        self.monitor = monitor

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        return await self.inner.fetch(max_records, timeout_s)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.inner.commit(offsets)
        self.monitor.committed(offsets)

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        await self.inner.seek(partition, offset)

    async def lag(self) -> dict[TopicPartition, int]:
        return await self.inner.lag()

    def assignment(self) -> set[TopicPartition]:
        return self.inner.assignment()

    async def unfetched(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int | None]:
        return await self.inner.unfetched(partitions)

    def pause(self, partitions: set[TopicPartition]) -> None:
        self.inner.pause(partitions)

    def resume(self, partitions: set[TopicPartition]) -> None:
        self.inner.resume(partitions)


class ProgressMonitor:
    def __init__(
        self,
        consumer: ConsumerPort,
        metrics: RuntimeMetrics,
        *,
        stall_after_s: float,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.consumer = consumer
        self.metrics = metrics
        self.stall_after_s = stall_after_s
        self.interval_s = interval_s
        self.clock = clock
        self.lag: dict[TopicPartition, int] = {}
        self.lag_error: str | None = None
        self._since: dict[TopicPartition, float] = {}  # when the partition last made progress
        self._stopping = asyncio.Event()

    def tracked(self) -> TrackedConsumer:
        """The consumer to hand to the pump."""
        return TrackedConsumer(self.consumer, self)

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        now = self.clock()
        for tp in offsets:
            self._since[tp] = now

    async def refresh(self) -> None:
        """Read the lag from the broker and update the metrics. A failure keeps the last lag (the
        clocks go on running) and is reported by ``check``."""
        try:
            lag = await asyncio.wait_for(self.consumer.lag(), LAG_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.lag_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.metrics.consumer_lag_known.set(0)
        else:
            self.lag_error = None
            self.metrics.consumer_lag_known.set(1)
            for tp in set(self.lag) - set(lag):
                self.metrics.consumer_lag.remove(tp[0], str(tp[1]))
                self._since.pop(tp, None)
            self.lag = lag
        now = self.clock()
        for tp, n in self.lag.items():
            self.metrics.consumer_lag.labels(tp[0], str(tp[1])).set(n)
            if n == 0 or tp not in self._since:
                self._since[tp] = now  # idle, or newly assigned: its clock starts now
        stalled = self.stalled()
        self.metrics.consumer_stalled_partitions.set(len(stalled))
        self.metrics.consumer_seconds_since_progress.set(
            max(self.seconds_since_progress().values(), default=0)
        )

    def seconds_since_progress(self) -> dict[TopicPartition, float]:
        """Per partition with lag: seconds since its last commit (or since it got lag)."""
        now = self.clock()
        return {tp: now - self._since.get(tp, now) for tp, n in self.lag.items() if n > 0}

    def stalled(self) -> dict[TopicPartition, float]:
        return {tp: s for tp, s in self.seconds_since_progress().items() if s > self.stall_after_s}

    def check(self) -> tuple[bool, str]:
        """Readiness of the consumer, and why not."""
        stalled = self.stalled()
        if stalled:
            worst = sorted(stalled.items(), key=lambda item: -item[1])[:5]
            where = ", ".join(f"{t}[{p}] lag {self.lag[t, p]} for {s:.0f}s" for (t, p), s in worst)
            return False, (
                f"{len(stalled)} partition(s) with lag and no commit for over {self.stall_after_s:.0f}s: "
                f"{where}; see the service log for the batch being retried"
            )
        if self.lag_error is not None:
            return False, f"cannot read the consumer's lag from the broker: {self.lag_error}"
        return True, ""

    # -- the loop ---------------------------------------------------------------------------------
    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.refresh()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
