"""The embedded default: several services in one process over the in-process transport.

Each service keeps its own SQLite file and runs the same handlers, inbox, outbox relay and
dead-letter path as on Kafka; only the transport differs. ``make demo`` runs the six agents this
way, with nothing external to start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msp_events import eventlog
from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import decode
from msp_events.envelope import Envelope
from msp_events.eventlog import to_outgoing
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.service import Service

SETTLE_POLL_MIN_S = 0.002
SETTLE_POLL_MAX_S = 0.05


class EmbeddedSystem:
    def __init__(self, bus: InProcessBus, services: Sequence[Service]) -> None:
        self.bus = bus
        self.services = list(services)

    async def __aenter__(self) -> EmbeddedSystem:
        for service in self.services:
            await service.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for service in reversed(self.services):
            await service.stop()

    async def publish(self, envelopes: Sequence[Envelope[Any]]) -> None:
        """Publish facts as a source system would (binary CloudEvents, keyed by partition key)."""
        await self.bus.append([to_outgoing(envelope) for envelope in envelopes])

    def write_log(self, path: str | Path) -> int:
        """Every event on the bus (facts and what the agents made of them), in event-time order, as an
        event log: what ``msp-trace --from embedded:DIR`` reads. Dead letters and undecodable records
        are left out: they are not events (they stay on their ``dlt.`` topics)."""
        envelopes = []
        for topic in self.bus.topics():
            if topic.startswith("dlt."):
                continue
            for record in self.bus.records(topic):
                try:
                    envelopes.append(decode(record.value, record.headers))
                except DecodeError:
                    continue
        envelopes.sort(key=lambda e: (e.time, e.id))
        return eventlog.write(envelopes, path)

    async def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until every service has consumed everything and relayed its outbox."""
        deadline = time.monotonic() + timeout_s
        quiet_rounds = 0
        pause = SETTLE_POLL_MIN_S  # short while it is quiet (a paced run settles hundreds of times)
        while quiet_rounds < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the embedded system did not settle: a handler may be stuck")
            await asyncio.sleep(pause)
            lag = sum(self.bus.lag(s.name, s.topics) for s in self.services)
            if lag == 0 and all(s.is_idle() for s in self.services):
                quiet_rounds += 1
                pause = SETTLE_POLL_MIN_S
            else:
                quiet_rounds = 0
                pause = min(pause * 2, SETTLE_POLL_MAX_S)
