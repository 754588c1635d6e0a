"""Real Kafka and PostgreSQL for integration tests.

Order of preference: ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` from the environment (what
``make infra-up`` starts), else testcontainers when a Docker engine answers. When neither is
there the test fails and says how to start them: an integration test never silently skips. The
fast suite (``make test-unit``) deselects them with ``-m "not integration"``.
"""

from __future__ import annotations

import os
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
