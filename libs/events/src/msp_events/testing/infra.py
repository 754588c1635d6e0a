"""Real Kafka and PostgreSQL for integration tests.

Order of preference: ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` from the environment (what
``make infra-up`` starts), else testcontainers when a Docker engine answers. When neither is
there the test fails and says how to start them: an integration test never silently skips. The
fast suite (``make test-unit``) deselects them with ``-m "not integration"``.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from msp_events.runtime.store import normalise_url


def _docker_engine_up() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _unavailable(what: str) -> None:
    pytest.fail(
        f"{what} is not available: run `make infra-up` (or set the environment variable), "
        'or leave out the integration tests with `-m "not integration"` (`make test-unit`)'
    )


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if url := os.getenv("KAFKA_BOOTSTRAP_SERVERS"):
        yield url
        return
    if _docker_engine_up():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server()
        return
    _unavailable("Kafka (KAFKA_BOOTSTRAP_SERVERS)")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if url := os.getenv("DATABASE_URL"):
        yield normalise_url(url)
        return
    if _docker_engine_up():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="psycopg") as pg:
            yield pg.get_connection_url()
        return
    _unavailable("PostgreSQL (DATABASE_URL)")


@pytest.fixture
def postgres_databases(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases (one per service under test), dropped afterwards."""
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_databases: Callable[[], str]) -> str:
    """A fresh, empty database for one test."""
    return postgres_databases()


TEST_PREFIX = re.compile(r"^[a-z]{1,10}(?=[0-9a-f]*\d)[0-9a-f]{6,12}\.")
"""The topic prefixes tests make (``t1a2b3c4d.``, ``eco…``, ``crash…``): never a registry topic's."""


def pytest_sessionstart(session: pytest.Session) -> None:
    """Delete the topics earlier test runs left on a long-lived local broker.

    Every Kafka test works under a fresh prefix and none deletes its topics; a broker that served a
    few full runs holds tens of thousands of partitions and dies of "Too many open files" (the
    limit here is 20,000 and cannot be raised), failing every Kafka test after it. Done once, by
    the controlling process before the workers start; a test session running beside this one on
    the same broker would lose its topics, so run one suite at a time per broker, or set
    ``MSP_KEEP_TEST_TOPICS=1`` in every session that shares it (then clean up with one session
    run alone later).
    """
    if hasattr(session.config, "workerinput") or not (bootstrap := os.getenv("KAFKA_BOOTSTRAP_SERVERS")):
        return
    if os.getenv("MSP_KEEP_TEST_TOPICS", "").strip() not in ("", "0"):
        return
    try:
        deleted = asyncio.run(_delete_test_topics(bootstrap))
    except Exception as exc:  # the broker may be down: the tests that need it will say so
        print(f"\nleftover test topics not deleted: {exc}")
        return
    if deleted:
        print(f"\ndeleted {deleted} topics left by earlier test runs on {bootstrap}")


async def _delete_test_topics(bootstrap: str) -> int:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        stale = sorted(t for t in await admin.list_topics() if TEST_PREFIX.match(t))
        for start in range(0, len(stale), 500):
            await admin.delete_topics(stale[start : start + 500], timeout_ms=60_000)
        return len(stale)
    finally:
        await admin.close()
