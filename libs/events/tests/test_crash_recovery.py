"""A service killed with SIGKILL after its commit and before the relay publishes exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from msp_events import Envelope
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.store import inbox, outbox
from msp_events.runtime.transport import Outgoing
from msp_events.testing.kafka import eventually, produce, read_topic
from msp_events.types.psa import ClientUpserted

pytestmark = [pytest.mark.integration, pytest.mark.faults]  # `make test-faults` runs it with the others
SERVICE = Path(__file__).with_name("crashable_service.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVICE), "serve", "--log-level", "warning"],
            env={**os.environ, **env, "HTTP_PORT": str(self.port)},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"service not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for p in started:
        p.stop()


async def test_sigkill_after_commit_before_relay_publishes_exactly_once(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path, processes: list[Process]
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
    first = Process(env, tmp_path / "service.log")
    processes.append(first)
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

    second = Process({**env, "RELAY_ENABLED": "true"}, tmp_path / "service.log")
    processes.append(second)
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
