"""Where a log is played: a Kafka cluster, or the six agents embedded in this process.

``kafka://HOST:PORT`` publishes to a real cluster (the other ``KAFKA_*`` settings, such as SASL and
``KAFKA_TOPIC_PREFIX``, come from the environment as for the services). ``embedded`` or
``embedded:DIR`` starts the six agents on the in-process bus with one SQLite file each under
``DIR`` (default ``.embedded``): the same handlers and topic routing as production, so a
simulated MSP can be run end to end with nothing installed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from msp_events import agents
from msp_events.registry import REGISTRY
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport, ensure_topics
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.runtime.transport import ProducerPort

AGENT_NAMES = agents.names()
"""The installed agents (the ``msp.agents`` entry points), not a list of our own."""


class TargetError(ValueError):
    """A ``--to`` value we cannot use, with the forms we accept."""


@dataclass
class Target:
    """An open place to publish to; ``embedded`` also holds the running agents."""

    url: str
    producer: ProducerPort
    system: EmbeddedSystem | None = None
    bus: InProcessBus | None = None
    kafka: KafkaSettings | None = None
    state_dir: Path | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    async def settle(self, timeout_s: float = 600.0) -> None:
        """Embedded: wait until every agent has consumed and relayed everything. Kafka: no-op."""
        if self.system is not None:
            await self.system.settle(timeout_s)

    def published_by_agents(self) -> Counter[str]:
        """Embedded only: how many events of each agent-owned type the agents published."""
        counts: Counter[str] = Counter()
        if self.bus is None:
            return counts
        for spec in REGISTRY:
            if spec.owner in AGENT_NAMES:
                n = len(self.bus.records(spec.topic))
                if n:
                    counts[spec.type] = n
        return counts


def all_topics() -> dict[str, int]:
    """Every event, dead-letter and redrive topic the registry declares, with partitions."""
    return REGISTRY.partitions_by_topic()


def kafka_settings(url: str) -> KafkaSettings:
    parsed = urlparse(url)
    if parsed.scheme != "kafka" or not parsed.netloc:
        raise TargetError(f"{url!r} is not kafka://HOST:PORT[,HOST:PORT…]")
    return KafkaSettings(bootstrap_servers=parsed.netloc)


def embedded_agents(
    bus: InProcessBus, state_dir: Path, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Service]:
    """Every installed agent on one in-process bus, each with its own SQLite file under ``state_dir``;
    ``overrides`` maps an agent to settings (by their environment names) that differ from its defaults."""
    state_dir.mkdir(parents=True, exist_ok=True)
    services = []
    for name, agent in agents.installed().items():
        module = agent.app()
        settings_cls: type[ServiceSettings] = module.Settings
        settings = settings_cls(
            MSP_TRANSPORT="inprocess",
            DATABASE_URL=f"sqlite:///{state_dir}/{name}.db",
            **(overrides or {}).get(name, {}),
        )
        services.append(module.create_service(settings, transport=bus))
    return services


@asynccontextmanager
async def open_target(
    url: str, *, topic_prefix: str | None = None, topics: dict[str, int] | None = None
) -> AsyncIterator[Target]:
    """Open ``kafka://…`` or ``embedded[:DIR]``; the producer is started and stopped here.

    Kafka only: ``topic_prefix`` overrides ``KAFKA_TOPIC_PREFIX``; ``topics`` (default: every
    registry topic) are the ones created if missing.
    """
    if url.startswith("kafka://"):
        settings = kafka_settings(url)
        if topic_prefix is not None:
            settings = settings.model_copy(update={"topic_prefix": topic_prefix})
        await ensure_topics(settings, all_topics() if topics is None else topics)
        producer: ProducerPort = KafkaTransport(settings, client_id="msp-replay").producer()
        await producer.start()
        try:
            yield Target(url=url, producer=producer, kafka=settings)
        finally:
            await producer.stop()
    elif url == "embedded" or url.startswith("embedded:"):
        state_dir = Path(url.partition(":")[2] or ".embedded")
        bus = InProcessBus()
        await bus.ensure_topics(all_topics())
        system = EmbeddedSystem(bus, embedded_agents(bus, state_dir))
        async with system:
            producer = bus.producer()
            await producer.start()
            try:
                yield Target(url=url, producer=producer, system=system, bus=bus, state_dir=state_dir)
            finally:
                await producer.stop()
    else:
        raise TargetError(
            f"unknown target {url!r}: use kafka://HOST:PORT for a Kafka cluster or embedded[:DIR] "
            "to run the six agents in this process"
        )
