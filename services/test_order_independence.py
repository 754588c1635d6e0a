"""Every service's outputs and state are the same whatever order the broker delivers a log in.

The contract of the runtime's event-time alignment (``msp_events.runtime.alignment``), stated per
service: a simulated MSP (``msp-sim`` seed 3: 5 clients, 2 technicians, 3 months, with its daily
clock) is handled once in the log's own order (the reference: each topic run is published only
when the service has finished the ones before), then published to the broker *before* the service
starts, so that every input partition (several per topic) has a backlog and the transport may
hand them over in any interleaving. Batch sizes, fetch sizes and a restart half-way (a second
consumer that resumes from the committed offsets) vary. Each run must publish the same events,
ids included, byte for byte, and end with the same rows in every table of the service.

The in-process runs cover all six services on every commit; the Kafka + PostgreSQL run (marked
``integration``) does the same over real partitions and a real consumer group.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from msp_events import agents, eventlog
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.testing.replay import ReplayResult, diff_events, replay

from msp_sim.generate import generate
from msp_sim.params import Params

SERVICES = list(agents.names())
TIMEOUT_S = 600


@pytest.fixture(scope="module")
def simulated_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("order") / "msp.jsonl"
    generate(Params(seed=3, clients=5, technicians=2, months=3), log)
    return log


def service_of(name: str) -> tuple[Callable[..., Service], type[ServiceSettings]]:
    app = agents.installed()[name].app()
    return app.create_service, app.Settings


def assert_same_run(reference: ReplayResult, other: ReplayResult, label: str) -> None:
    assert other.dead_letters == reference.dead_letters, f"{label}: dead letters differ"
    diff = diff_events(reference.outputs, other.outputs, match="id")
    assert diff.is_equal, f"{label}:\n{diff.summary()}"
    assert [eventlog.dumps(e) for e in other.outputs] == [eventlog.dumps(e) for e in reference.outputs]
    for table, rows in reference.state.items():
        assert other.state[table] == rows, f"{label}: table {table} differs"


@pytest.fixture(scope="module")
def references() -> dict[str, ReplayResult]:
    """The log-order run of each service, computed once for the module."""
    return {}


async def reference_run(name: str, log: Path, cache: dict[str, ReplayResult], tmp: Path) -> ReplayResult:
    if name not in cache:
        create, settings = service_of(name)
        cache[name] = await replay(
            create,
            settings(MSP_TRANSPORT="inprocess", CONSUMER_BATCH_SIZE=200),
            log,
            database_url=f"sqlite:///{tmp}/{name}-reference.db",
            order="log",
            snapshot=True,
            timeout_s=TIMEOUT_S,
        )
        assert cache[name].state, f"{name} has no tables to compare"
    return cache[name]


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize(
    ("batch_size", "fetch_size", "restart"),
    [(1, 3, False), (500, 500, True)],
    ids=["batch-1-fetch-3", "batch-500-restart"],
)
async def test_a_backlog_in_any_interleaving_gives_the_outputs_and_state_of_the_log_order(
    name: str,
    batch_size: int,
    fetch_size: int,
    restart: bool,
    simulated_log: Path,
    references: dict[str, ReplayResult],
    tmp_path: Path,
) -> None:
    reference = await reference_run(name, simulated_log, references, tmp_path)
    create, settings = service_of(name)
    run = await replay(
        create,
        settings(MSP_TRANSPORT="inprocess", CONSUMER_BATCH_SIZE=batch_size, CONSUMER_FETCH_SIZE=fetch_size),
        simulated_log,
        database_url=f"sqlite:///{tmp_path}/{name}.db",
        order="backlog",
        restart_after=len(reference.inputs) // 2 if restart else None,
        snapshot=True,
        timeout_s=TIMEOUT_S,
    )
    assert len(run.inputs) == len(reference.inputs) > 0
    assert_same_run(reference, run, f"{name} batch {batch_size} fetch {fetch_size} restart {restart}")


@pytest.mark.integration
@pytest.mark.parametrize("name", SERVICES)
async def test_on_kafka_and_postgres_a_backlog_gives_the_outputs_and_state_of_the_log_order(
    name: str,
    simulated_log: Path,
    references: dict[str, ReplayResult],
    tmp_path: Path,
    kafka_bootstrap: str,
    postgres_url: str,
) -> None:
    reference = await reference_run(name, simulated_log, references, tmp_path)
    create, settings = service_of(name)
    run = await replay(
        create,
        settings(CONSUMER_BATCH_SIZE=50, CONSUMER_FETCH_SIZE=40),
        simulated_log,
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        order="backlog",
        restart_after=len(reference.inputs) // 3,
        snapshot=True,
        timeout_s=TIMEOUT_S,
    )
    assert_same_run(reference, run, f"{name} on Kafka + PostgreSQL")
