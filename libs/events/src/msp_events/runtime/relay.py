"""The outbox relay: publishes committed outbox rows in commit order, then marks them published.

It wakes when the pump commits new rows and also polls, so rows left by a crashed process are
published after restart. A crash between publish and mark republishes the same event ids, which
consumers' inboxes drop.

Exactly one publisher per outbox. On PostgreSQL the relays of a service's replicas compete for a
session-level advisory lock; only the holder publishes, so replicas cannot interleave and per-key
order holds. A session lock lives exactly as long as its database session, so a PostgreSQL restart
(or a failover, or a killed backend) silently takes it away, and another replica may take it over. So
leadership is never cached: every cycle reads the pending rows *on the session that holds the lock*,
in one transaction that first proves the lock is still held there (``pg_locks`` for this backend
pid; a successful statement on that session also proves the session survived), and the batch goes
to ``send_all`` right after. A relay whose session broke or no longer holds the lock drops
leadership (gauge ``msp_outbox_relay_leader`` = 0) and tries to take it again on a fresh session;
it never publishes a batch it did not read under a verified lock. We chose this over a lease table
with epochs: it needs no schema change, no clock, and the database itself ends the lock with the
session, which is exactly the moment a zombie must stop.

What a lock cannot fence is a batch already handed to the broker when the session dies: its rows
went out, but the mark fails. The relay remembers those seqs and marks them (on any session: they
*were* published) as soon as the database answers, before reading anything else; and a relay that
has just taken the lock waits ``takeover_grace_s`` before its first read, so a former leader gets
that time to mark the batch it sent. If it cannot (it crashed), the new leader republishes those
rows: the same ids, in the same order, which inboxes drop. On SQLite (one process) the relay is
always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select, text
from sqlalchemy.exc import DBAPIError

from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.store import outbox
from msp_events.runtime.transport import Outgoing, ProducerPort

log = logging.getLogger(__name__)

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
# Does *this* session hold the advisory lock? A bigint key shows in pg_locks as classid = high
# 32 bits, objid = low 32 bits, objsubid = 1. (Behind a transaction-pooling proxy the backend could
# change under us; then this is false and the relay steps down instead of trusting a lock it lost.)
_HOLDS_LOCK = text(
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
)


@dataclass(frozen=True)
class RelayPolicy:
    batch_size: int = 500
    poll_interval_s: float = 0.5
    error_backoff_s: float = 1.0
    # After taking the lock, wait this long before the first read: a former leader whose session
    # died after it had published a batch marks it meanwhile (saves republishing that batch).
    takeover_grace_s: float = 1.0
    # How often a batch that went out but could not be marked is retried (the database is away).
    mark_retry_s: float = 0.2


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
        self._exclusive = engine.dialect.name == "postgresql"
        self._lock_key = zlib.crc32(f"outbox-relay:{service}".encode())
        self._leader: Connection | None = None  # the session holding the advisory lock
        self._unmarked: list[int] = []  # seqs published whose mark has not committed yet
        self.metrics.relay_leader.set(0 if self._exclusive else 1)
        self.idle = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        """Whether this relay held the lock at its last check (always on SQLite)."""
        return not self._exclusive or self._leader is not None

    def wake(self) -> None:
        """Rows were committed: not idle until a drain finds nothing (so a settle check between the
        commit and the drain cannot mistake the outbox for empty)."""
        self.idle.clear()
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
                    self.idle.clear()
                    if self._unmarked:  # published but not marked: mark as soon as the database is back
                        log.debug("%s: marking a published batch failed (%s); retrying", self.service, exc)
                        await asyncio.sleep(self.policy.mark_retry_s)
                    else:
                        log.warning("%s: outbox relay failed (%s); retrying", self.service, exc)
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
        """Publish everything pending; returns how many rows were published.

        Each batch is read under a just-verified lock and sent at once; only then is it marked.
        """
        total = 0
        while True:
            if self._unmarked:
                await asyncio.to_thread(self._mark_published, self._unmarked)
                self._unmarked = []
            rows = await asyncio.to_thread(self._pending)
            if not rows:
                return total
            self.idle.clear()
            await self.producer.send_all([r.message for r in rows])
            for row in rows:
                self.metrics.produced.labels(row.type).inc()
            self._unmarked = [r.seq for r in rows]
            await asyncio.to_thread(self._mark_published, self._unmarked)
            self._unmarked = []
            total += len(rows)

    # -- database side (runs in a worker thread) --------------------------------------------------
    def _pending(self) -> list[PendingRow]:
        """The next batch in seq order, read on the lock-holding session; [] if another relay leads."""
        if not self._exclusive:
            with self.engine.connect() as connection:
                return _pending_rows(connection.execute(self._pending_query()).all())
        if self._leader is not None:
            with contextlib.suppress(DBAPIError):  # logged by _drop_leadership; take it again below
                rows = self._read_as_leader(self._leader)
                if rows is not None:
                    return rows
        acquired = self._acquire()
        if acquired is None:
            return []
        return self._read_as_leader(acquired) or []

    def _read_as_leader(self, connection: Connection) -> list[PendingRow] | None:
        """Prove the lock is held on this session, then read the batch in the same transaction.

        None (and leadership dropped) if the lock is not held; a broken session drops leadership
        and raises.
        """
        high, low = divmod(self._lock_key, 1 << 32)
        try:
            with connection.begin():
                held = connection.execute(_HOLDS_LOCK, {"high": high, "low": low}).first() is not None
                if held:
                    return _pending_rows(connection.execute(self._pending_query()).all())
        except DBAPIError as exc:
            self._drop_leadership(f"its session failed: {exc.orig or exc}")
            raise
        self._drop_leadership("its session no longer holds the lock")
        return None

    def _acquire(self) -> Connection | None:
        """Try to take the lock on a fresh session; on success wait the takeover grace."""
        connection = self.engine.connect()
        try:
            got = connection.execute(_TRY_LOCK, {"key": self._lock_key}).scalar()
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return None
        self._leader = connection
        self.metrics.relay_leader.set(1)
        log.info("%s: outbox relay took the lead", self.service)
        if self.policy.takeover_grace_s > 0:
            time.sleep(self.policy.takeover_grace_s)  # a worker thread: the event loop runs on
        return connection

    def _drop_leadership(self, why: str) -> None:
        if self._leader is not None:
            log.warning("%s: outbox relay stepped down: %s", self.service, why)
        self._release_leadership()

    def _release_leadership(self) -> None:
        connection, self._leader = self._leader, None
        if self._exclusive:
            self.metrics.relay_leader.set(0)
        if connection is not None:
            # End the session itself, which releases its advisory lock: close() alone would hand it,
            # lock and all, back to the pool. (A dead session has nothing left to release.)
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()

    def _pending_query(self) -> Select[Any]:
        return (
            select(
                outbox.c.seq, outbox.c.type, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.policy.batch_size)
        )

    def _mark_published(self, seqs: list[int]) -> None:
        """Mark rows that went out. They were published whoever leads now, so if the lock's session
        is gone this uses any session rather than leave them to be republished."""
        statement = (
            outbox.update()
            .where(outbox.c.seq.in_(seqs), outbox.c.published_at.is_(None))
            .values(published_at=datetime.now(UTC))
        )
        if self._leader is not None:
            try:
                with self._leader.begin():
                    self._leader.execute(statement)
                return
            except DBAPIError as exc:
                self._drop_leadership(f"its session failed: {exc.orig or exc}")
        with self.engine.begin() as connection:
            connection.execute(statement)

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


def _pending_rows(result: Sequence[Any]) -> list[PendingRow]:
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
