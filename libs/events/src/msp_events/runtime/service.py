"""A running service: its database, its consumer pump and outbox relay on a transport.

``app.py`` of each service builds one ``Service`` from its settings, router and tables; the HTTP
app (``http.py``) and the embedded system (``embedded.py``) start and stop it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from sqlalchemy import MetaData, text

from msp_events.registry import REGISTRY, dead_letter_topic, redrive_topic
from msp_events.runtime.alignment import AlignmentPolicy, EventTimeAligner
from msp_events.runtime.business import BusinessCollector, BusinessReader
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.migrations import upgrade
from msp_events.runtime.plausibility import PlausibilityWindow
from msp_events.runtime.progress import ProgressMonitor
from msp_events.runtime.pump import Pump, PumpPolicy
from msp_events.runtime.relay import OutboxRelay, RelayPolicy
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.store import make_engine
from msp_events.runtime.transport import ConsumerPort, ProducerPort, Transport

log = logging.getLogger(__name__)
CLOCK_TOPIC = REGISTRY.get("clock.ticked").topic


class Service:
    def __init__(
        self,
        *,
        settings: ServiceSettings,
        router: HandlerRouter,
        transport: Transport,
        migrations: Path,
        metadata: MetaData | None = None,
        business: BusinessReader | None = None,
    ) -> None:
        self.name = settings.service_name
        self.settings = settings
        self.router = router
        self.transport = transport
        self.migrations = migrations
        self.metadata = metadata
        url = settings.resolved_database_url()
        if url.startswith("sqlite:///./"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        self.metrics = RuntimeMetrics(self.name)
        if business is not None:
            self.metrics.registry.register(BusinessCollector(self.name, self.engine, business))
        self._consumer: ConsumerPort | None = None
        self._producer: ProducerPort | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pump_task: asyncio.Task[None] | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self.pump: Pump | None = None
        self.relay: OutboxRelay | None = None
        self.aligner: EventTimeAligner | None = None
        self.progress: ProgressMonitor | None = None
        self.reasons: dict[str, str] = {}  # why the last readiness check failed, per check

    @property
    def input_topics(self) -> list[str]:
        """The event topics the service consumes: its handlers' topics and the clock."""
        return sorted({*self.router.topics, CLOCK_TOPIC})

    @property
    def topics(self) -> list[str]:
        """What the service subscribes to: its input topics and, for each, its own redrive topic
        (``redrive.<service>.<topic>``, handled exactly like the input topic)."""
        inputs = self.input_topics
        return sorted({*inputs, *(redrive_topic(self.name, t) for t in inputs)})

    def topic_partitions(self) -> dict[str, int]:
        """Every topic this service touches, with its partition count from the registry."""
        wanted: dict[str, int] = {}
        for spec in [*self.router.specs, REGISTRY.get("clock.ticked"), *REGISTRY.owned_by(self.name)]:
            wanted[spec.topic] = spec.partitions
        for topic in self.input_topics:
            partitions = REGISTRY.by_topic(topic).partitions
            wanted[dead_letter_topic(self.name, topic)] = partitions
            wanted[redrive_topic(self.name, topic)] = partitions
        return wanted

    def migrate(self) -> None:
        upgrade(self.settings.resolved_database_url(), self.migrations, self.metadata)

    async def start(self) -> None:
        s = self.settings
        if s.migrate_on_start:
            await asyncio.to_thread(self.migrate)
        await self.transport.ensure_topics(self.topic_partitions())
        self._producer = self.transport.producer()
        await self._producer.start()
        if s.relay_enabled:
            self.relay = OutboxRelay(
                service=self.name,
                engine=self.engine,
                producer=self._producer,
                metrics=self.metrics,
                policy=RelayPolicy(poll_interval_s=s.relay_poll_s),
            )
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.name}-relay")
            self._tasks.append(self._relay_task)
        if s.consumer_enabled:
            consumer = self.transport.consumer(self.name, self.topics)
            if s.event_time_alignment:
                self.aligner = EventTimeAligner(
                    consumer,
                    AlignmentPolicy(
                        max_idle_s=s.align_max_idle_s,
                        max_buffered=s.align_max_buffered,
                        fetch_size=s.fetch_size or max(s.batch_size, 500),
                    ),
                    self.metrics,
                )
                consumer = self.aligner
            self._consumer = consumer
            await self._consumer.start()
            self.progress = ProgressMonitor(
                self._consumer, self.metrics, stall_after_s=s.stall_after_s, interval_s=s.progress_interval_s
            )
            self._tasks.append(asyncio.create_task(self.progress.run(), name=f"{self.name}-progress"))
            self.pump = Pump(
                service=self.name,
                router=self.router,
                engine=self.engine,
                consumer=self.progress.tracked(),
                producer=self._producer,
                metrics=self.metrics,
                policy=PumpPolicy(
                    batch_size=s.batch_size,
                    max_attempts=s.max_attempts,
                    retry_backoff_s=s.retry_backoff_s,
                    max_message_bytes=s.max_message_bytes,
                    infrastructure_backoff_s=s.infrastructure_backoff_s,
                    dead_letter_max_bytes=s.dead_letter_max_bytes,
                    plausibility=PlausibilityWindow(s.plausible_years_back, s.plausible_years_ahead),
                ),
                on_committed=self.relay.wake if self.relay else lambda: None,
            )
            self._pump_task = asyncio.create_task(self.pump.run(), name=f"{self.name}-pump")
            self._tasks.append(self._pump_task)
        log.info(
            "%s started on %s, consuming %s", self.name, self.transport.name, ", ".join(self.input_topics)
        )

    async def stop(self, grace_s: float = 15.0) -> None:
        """Stop gracefully: the pump finishes its batch and commits its offsets (so a restart
        redelivers nothing), then the relay publishes what is pending; after ``grace_s`` each is
        cancelled, which loses nothing either (the inbox and the outbox cover it)."""
        for worker, task in ((self.pump, self._pump_task), (self.relay, self._relay_task)):
            if worker is not None and task is not None:
                worker.request_stop()
                try:
                    await asyncio.wait_for(asyncio.shield(task), grace_s)
                except TimeoutError:
                    log.warning(
                        "%s: %s did not stop within %.0fs; cancelling", self.name, task.get_name(), grace_s
                    )
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()
        self.engine.dispose()

    async def readiness(self) -> dict[str, bool]:
        """Database and broker reachable, and (when consuming) no stalled partition; why a check
        failed is left in ``reasons``."""
        checks = {
            "database": await asyncio.to_thread(self._database_ok),
            "broker": await self.transport.ping(),
        }
        self.reasons = {}
        if self.progress is not None:
            checks["consumer"], reason = self.progress.check()
            if reason:
                self.reasons["consumer"] = reason
        return checks

    def _database_ok(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def is_idle(self) -> bool:
        pump_idle = self.pump is None or self.pump.idle.is_set()
        relay_idle = self.relay is None or self.relay.idle.is_set()
        holding = self.aligner is not None and self.aligner.held > 0
        return pump_idle and relay_idle and not holding
