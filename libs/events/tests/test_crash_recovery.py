"""A service killed with SIGKILL after its commit and before the relay publishes exactly once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from msp_events import Envelope
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.store import inbox, outbox
from msp_events.runtime.transport import Outgoing
from msp_events.testing.faults import ServiceProcess
from msp_events.testing.kafka import eventually, produce, read_topic
from msp_events.types.psa import ClientUpserted

pytestmark = [pytest.mark.integration, pytest.mark.faults]  # `make test-faults` runs it with the others
SERVICE = Path(__file__).with_name("crashable_service.py")


async def test_sigkill_after_commit_before_relay_publishes_exactly_once(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path, service_processes: list[ServiceProcess]
) -> None:
    prefix = f"crash{uuid.uuid4().hex[:6]}."
    env = {
        "MSP_TRANSPORT": "kafka",
        "DATABASE_URL": postgres_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "RELAY_ENABLED": "false",
    }
    first = ServiceProcess(SERVICE, env, tmp_path / "service.log")
    service_processes.append(first)
    first.wait_ready()

    cause = Envelope.build(
        ClientUpserted(
            client_id="C-77", name="Northwind Clinic", status="active", created_on=date(2022, 1, 3)
        ),
        source="psa.connectwise",
        time=datetime(2026, 5, 2, tzinfo=UTC),
    )
    m = encode_binary(cause)
    await produce(kafka_bootstrap, [Outgoing(prefix + m.topic, m.key, m.value, m.headers)])

    engine = create_engine(postgres_url)

    def count(query: object) -> int:
        with engine.connect() as c:
            return int(c.execute(query).scalar_one())  # type: ignore[call-overload]

    pending = select(func.count()).where(outbox.c.published_at.is_(None))

    async def committed() -> bool:
        return count(pending) == 1

    await eventually(committed, timeout_s=60, what="the handler's transaction to commit")
    first.kill()  # after the commit, before any relay ran
    assert await read_topic(kafka_bootstrap, prefix + "client.profitability.changed") == []

    second = ServiceProcess(SERVICE, {**env, "RELAY_ENABLED": "true"}, tmp_path / "service.log")
    service_processes.append(second)
    second.wait_ready()

    async def relayed() -> bool:
        return count(pending) == 0

    await eventually(relayed, timeout_s=60, what="the restarted relay to publish")
    await eventually(lambda: _true_after(1.0), what="a moment for any duplicate to show up")
    published = await read_topic(kafka_bootstrap, prefix + "client.profitability.changed")
    assert len(published) == 1
    assert dict(published[0].headers)["ce_causationid"] == cause.id.encode()
    assert count(select(func.count()).select_from(inbox)) == 1
    assert count(select(func.count()).select_from(outbox)) == 1
    engine.dispose()


_started: dict[str, float] = {}


async def _true_after(seconds: float) -> bool:
    now = time.monotonic()
    start = _started.setdefault("t", now)
    return now - start >= seconds
