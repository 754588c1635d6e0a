"""The outbox relay: publishes committed outbox rows in commit order, then marks them published.

It wakes when the pump commits new rows and also polls, so rows left by a crashed process are
published after restart. On PostgreSQL one relay per service holds an advisory lock, so replicas
cannot interleave and per-key order holds. A crash between publish and mark republishes the same
event ids, which consumers' inboxes drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, select, text

from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.store import outbox
from msp_events.runtime.transport import Outgoing, ProducerPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayPolicy:
    batch_size: int = 500
    poll_interval_s: float = 0.5
    error_backoff_s: float = 1.0


@dataclass(frozen=True)
class PendingRow:
    seq: int
    type: str
    message: Outgoing


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: Engine,
        producer: ProducerPort,
        metrics: RuntimeMetrics,
        policy: RelayPolicy,
    ) -> None:
        self.service = service
        self.engine = engine
        self.producer = producer
        self.metrics = metrics
        self.policy = policy
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._leader: Connection | None = None
        self.idle = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def request_stop(self) -> None:
        """Publish what is pending once more, then return from ``run``."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    published = await self.drain()
                    await asyncio.to_thread(self._observe_backlog)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("%s: outbox relay failed (%s); retrying", self.service, exc)
                    self.idle.clear()
                    await asyncio.sleep(self.policy.error_backoff_s)
                    continue
                if published == 0 and not self._stopping.is_set():
                    self.idle.set()
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval_s)
            try:
                await self.drain()  # what the pump's last batch emitted
            except Exception as exc:
                log.warning("%s: outbox left for the next start (%s)", self.service, exc)
        finally:
            await asyncio.to_thread(self._release_leadership)

    async def drain(self) -> int:
        """Publish everything pending; returns how many rows were published."""
        total = 0
        while True:
            rows = await asyncio.to_thread(self._pending)
            if not rows:
                return total
            self.idle.clear()
            await self.producer.send_all([r.message for r in rows])
            await asyncio.to_thread(self._mark_published, [r.seq for r in rows])
            for row in rows:
                self.metrics.produced.labels(row.type).inc()
            total += len(rows)

    # -- database side (runs in a worker thread) --------------------------------------------------
    def _is_leader(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._leader is None:
            connection = self.engine.connect()
            lock_id = zlib.crc32(f"outbox-relay:{self.service}".encode())
            got = connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id}).scalar()
            connection.commit()
            if not got:
                connection.close()
                return False
            self._leader = connection
        return True

    def _release_leadership(self) -> None:
        if self._leader is not None:
            self._leader.close()  # closing the session releases the advisory lock
            self._leader = None

    def _pending(self) -> list[PendingRow]:
        if not self._is_leader():
            return []
        query = (
            select(
                outbox.c.seq, outbox.c.type, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.policy.batch_size)
        )
        with self.engine.connect() as connection:
            result = connection.execute(query).all()
        return [
            PendingRow(
                seq=row.seq,
                type=row.type,
                message=Outgoing(
                    topic=row.topic,
                    key=row.key,
                    value=row.value,
                    headers=[(k, v.encode()) for k, v in json.loads(row.headers)],
                ),
            )
            for row in result
        ]

    def _mark_published(self, seqs: list[int]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                outbox.update().where(outbox.c.seq.in_(seqs)).values(published_at=datetime.now(UTC))
            )

    def _observe_backlog(self) -> None:
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            ).one()
        self.metrics.outbox_backlog.set(count)
        if oldest is None:
            self.metrics.outbox_oldest_age.set(0)
        else:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            self.metrics.outbox_oldest_age.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
