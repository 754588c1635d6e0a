"""The replay harness: a recorded log into one service, its exact outputs against a golden file.

The service under test is a tiny router written here (it emits a profitability event per client and
rejects archived ones), run on both transports: in-process with SQLite and on real Kafka with
PostgreSQL (``integration``). Both must match the same golden files, byte for byte in content.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money, eventlog
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.transport import Transport
from msp_events.runtime.uow import UnitOfWork
from msp_events.testing.replay import (
    assert_matches_golden,
    diff_events,
    read_documents,
    replay,
)
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted, TechnicianUpserted

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

router = HandlerRouter()


@router.handles(ClientUpserted)
def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
    if event.data.status == "churned":
        raise PermanentError(f"client {event.data.client_id} has churned")
    uow.emit(
        ClientProfitabilityChanged(
            client_id=event.data.client_id,
            period=uow.now.strftime("%Y-%m"),
            gross_margin_pct=Decimal("18.5"),
            band="critical",
            direction="down",
            revenue=Money(amount=Decimal("1000"), currency="USD"),
            cost=Money(amount=Decimal("815.00"), currency="USD"),
            labour_hours=Decimal("9.5"),
            summary=f"margin of {event.data.name} fell",
        )
    )


def make_service(settings: ServiceSettings, transport: Transport, migrations: Path) -> Service:
    return Service(settings=settings, router=router, transport=transport, migrations=migrations)


def client(client_id: str, name: str, minute: int, status: str = "active") -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id=client_id, name=name, status=status, created_on=date(2024, 1, 1))
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def recorded_log(path: Path) -> Path:
    tech = TechnicianUpserted.model_validate(
        {"technician_id": "T-1", "name": "Ann", "email": "a@example.com"}
        | {"daily_capacity_hours": "8", "work_role": "Engineer"}
    )
    events: list[Envelope[Any]] = [
        Envelope.build(ClockTicked(clock="utc", now=T0), source="platform.clock", time=T0),
        client("C-1", "Harbor Dental", 1),
        client("C-2", "Blue Fern Law", 2),
        client("C-3", "Old Mill", 3, status="churned"),
        client("C-1", "Harbor Dental", 1),  # a redelivery: the inbox drops it, nothing new comes out
        Envelope.build(tech, source="psa.connectwise", time=T0),  # not consumed: left out
    ]
    eventlog.write(events, path)
    return path


def settings() -> ServiceSettings:
    return ServiceSettings(service_name="cpi", HANDLER_RETRY_BACKOFF_S=0.01)


def service_factory(tmp_path: Path) -> functools.partial[Service]:
    """The service has no migrations of its own (an empty directory): only the runtime's tables."""
    empty = tmp_path / "migrations"
    empty.mkdir(exist_ok=True)
    return functools.partial(make_service, migrations=empty)


@pytest.fixture(params=["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
def transport_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_log_replays_to_the_golden_outputs_and_dead_letters(
    transport_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    options: dict[str, Any] = {}
    if transport_kind == "kafka":
        options = {
            "kafka_bootstrap": request.getfixturevalue("kafka_bootstrap"),
            "database_url": request.getfixturevalue("postgres_url"),
        }
    result = await replay(
        service_factory(tmp_path),
        settings(),
        recorded_log(tmp_path / "in.jsonl"),
        transport=transport_kind,  # type: ignore[arg-type]
        **options,
    )
    assert (len(result.inputs), result.skipped) == (5, 1)
    assert [e.subject for e in result.outputs] == ["client/C-1", "client/C-2"]
    assert all(e.source == "msp.cpi" for e in result.outputs)
    assert_matches_golden(result.outputs, GOLDEN / "replay_harness_outputs.jsonl")
    assert_matches_golden(result.dead_letter_documents(), GOLDEN / "replay_harness_dead_letters.jsonl")


async def test_replaying_twice_gives_the_same_outputs(tmp_path: Path) -> None:
    log = recorded_log(tmp_path / "in.jsonl")
    first = await replay(service_factory(tmp_path), settings(), log)
    second = await replay(service_factory(tmp_path), settings(), eventlog.read(log))
    assert [eventlog.dumps(e) for e in first.outputs] == [eventlog.dumps(e) for e in second.outputs]
    assert diff_events(first.outputs, second.outputs).is_equal


async def test_a_changed_output_fails_with_a_readable_diff(tmp_path: Path) -> None:
    result = await replay(service_factory(tmp_path), settings(), recorded_log(tmp_path / "in.jsonl"))
    golden = tmp_path / "golden.jsonl"
    assert_matches_golden(result.outputs, golden, update=True)
    documents = read_documents(golden)
    documents[1]["data"]["band"] = "healthy"
    del documents[0]
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(json.dumps(d) + "\n" for d in documents))
    with pytest.raises(AssertionError) as failure:
        assert_matches_golden(result.outputs, changed, update=False)
    report = str(failure.value)
    assert "0 equal, 0 missing, 1 extra, 1 changed" in report
    assert "+ extra    client.profitability.changed client/C-1 #1" in report
    assert 'data.band  golden changed.jsonl: "healthy"  actual: "critical"' in report
    assert "MSP_UPDATE_GOLDEN=1" in report


async def test_ignored_paths_are_the_only_ones_not_compared(tmp_path: Path) -> None:
    result = await replay(service_factory(tmp_path), settings(), recorded_log(tmp_path / "in.jsonl"))
    golden = tmp_path / "golden.jsonl"
    assert_matches_golden(result.outputs, golden, update=True)
    documents = read_documents(golden)
    for d in documents:
        d["id"], d["data"]["summary"] = "regenerated", "reworded"
    golden.write_text("".join(json.dumps(d) + "\n" for d in documents))
    assert_matches_golden(result.outputs, golden, ignore=["id", "data.summary"], update=False)
    with pytest.raises(AssertionError, match=r"data\.summary"):
        assert_matches_golden(result.outputs, golden, ignore=["id"], update=False)


async def test_the_environment_variable_rewrites_the_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await replay(service_factory(tmp_path), settings(), recorded_log(tmp_path / "in.jsonl"))
    golden = tmp_path / "new" / "golden.jsonl"
    monkeypatch.delenv("MSP_UPDATE_GOLDEN", raising=False)
    with pytest.raises(AssertionError, match="does not exist: run the test with MSP_UPDATE_GOLDEN=1"):
        assert_matches_golden(result.outputs, golden)
    monkeypatch.setenv("MSP_UPDATE_GOLDEN", "1")
    assert_matches_golden(result.outputs, golden)
    monkeypatch.delenv("MSP_UPDATE_GOLDEN")
    assert_matches_golden(result.outputs, golden)
    assert len(read_documents(golden)) == 2


@pytest.mark.parametrize("order", ["day", "broker"])
async def test_every_feeding_order_reaches_the_same_outputs_for_order_free_handlers(
    order: str, tmp_path: Path
) -> None:
    log = recorded_log(tmp_path / "in.jsonl")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    in_log_order = await replay(service_factory(tmp_path / "a"), settings(), log)
    other = await replay(service_factory(tmp_path / "b"), settings(), log, order=order)  # type: ignore[arg-type]
    assert [e.id for e in other.outputs] == [e.id for e in in_log_order.outputs]
    assert other.dead_letter_documents() == in_log_order.dead_letter_documents()


def test_day_runs_split_the_log_at_utc_midnight() -> None:
    from msp_events.testing.replay import _day_runs

    hours = [0, 5, 23, 24, 47, 49]  # days 0, 0, 0, 1, 1, 2
    log = [client(f"C-{h}", "x", 60 * h - 8 * 60) for h in hours]  # T0 is 08:00
    assert [[e.subject for e in run] for run in _day_runs(log)] == [
        ["client/C-0", "client/C-5", "client/C-23"],
        ["client/C-24", "client/C-47"],
        ["client/C-49"],
    ]
