"""The harness's own pieces, without Kafka: the settle check reads what each agent really subscribes
to, and the plant gives every client of a log one open ticket that a cheaper technician could take."""

from __future__ import annotations

from pathlib import Path

import pytest

from msp_events import agents, eventlog
from msp_events.runtime.inprocess import InProcessBus
from msp_events.types.psa import ClientUpserted, TechnicianUpserted, TicketUpdated

from msp_ecosystem.plant import JUNIOR, SENIOR, with_planted_work
from msp_ecosystem.runner import Scenario
from msp_ecosystem.settle import subscriptions


@pytest.mark.parametrize("name", list(agents.names()))
def test_the_settle_check_watches_exactly_the_topics_each_agent_subscribes_to(
    name: str, tmp_path: Path
) -> None:
    app = agents.installed()[name].app()
    settings = app.Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path}/{name}.db")
    service = app.create_service(settings, transport=InProcessBus())
    assert subscriptions(name) == service.topics


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Scenario(seed=3, clients=2, technicians=1, months=1, planted_work=False).write(
        tmp_path_factory.mktemp("plant")
    )


def test_the_plant_gives_each_client_one_open_ticket_held_by_the_dearer_technician(
    small_log: Path, tmp_path: Path
) -> None:
    planted = list(eventlog.read(with_planted_work(small_log, tmp_path / "planted.jsonl")))
    original = list(eventlog.read(small_log))
    clients = {e.data.client_id for e in original if isinstance(e.data, ClientUpserted)}
    added = [e for e in planted if e.id not in {o.id for o in original}]
    tickets = [e.data for e in added if isinstance(e.data, TicketUpdated)]
    assert {t.client_id for t in tickets} == clients and len(tickets) == len(clients)
    assert all(t.status == "in_progress" and t.assigned_technician_id == SENIOR[0] for t in tickets)
    rates = {
        e.data.technician_id: e.data.cost_rates[0].hourly_cost.amount
        for e in added
        if isinstance(e.data, TechnicianUpserted)
    }
    assert rates == {SENIOR[0]: SENIOR[1], JUNIOR[0]: JUNIOR[1]} and JUNIOR[1] < SENIOR[1]
    assert [e.time for e in planted] == sorted(e.time for e in planted)
    assert len(planted) == len(original) + len(added)


def test_day_paced_phases_are_the_log_in_order_each_tick_alone_then_the_epilogue(tmp_path: Path) -> None:
    scenario = Scenario(seed=3, clients=2, technicians=1, months=1, epilogue_days=3)
    phases = [list(eventlog.read(p)) for p in scenario.phases(tmp_path)]
    log = list(eventlog.read(scenario.write(tmp_path)))
    played = [e for phase in phases for e in phase]
    assert [e.id for e in played[: len(log)]] == [e.id for e in log]  # the log is sorted by time, id
    for phase in phases[1:]:
        ticks = [e for e in phase if e.type == "clock.ticked"]
        assert len({e.time.date() for e in phase}) == 1, "a phase spans two days"
        assert all(e.time == ticks[0].time for e in phase) if ticks else True, "a tick with later facts"
    epilogue = played[len(log) :]
    assert [e.type for e in epilogue] == ["clock.ticked"] * 3
    assert [(e.time.date() - log[-1].time.date()).days for e in epilogue] == [1, 2, 3]
    assert all(len(p) == 1 for p in phases[-3:])
