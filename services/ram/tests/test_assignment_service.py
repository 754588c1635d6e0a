"""Assignment in the service: incoming tickets and visits get a technician on the tick, served by
``GET /assignments`` with the one-sentence reason (a hand-worked week of room)."""

from __future__ import annotations

import random
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.testing.replay import replay
from msp_events.testing.service import RunningService, running_service

from ram import api
from ram.app import create_service
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from ram_facts import MON, at, tech, tick, ticket, usd, visit


def incoming() -> list[Envelope[Any]]:
    """T1 (60 USD/h, network) already holds TK-C's 36 h of a 40 h week; T2 (40 USD/h) holds nothing."""
    return [
        tech("T1", 60, ("network",)),
        tech("T2", 40),
        ticket("TK-C", "T1", "36"),
        ticket("TK-A", None, "2", skill="network"),  # only T1 qualifies: 2 of its 4 h left
        ticket("TK-B", None, "3"),  # T2 is cheaper
        ticket("TK-D", None, "4", skill="network"),  # all of T1's 4 h: TK-A and V-X would wait
        visit("V-X", MON + timedelta(days=1), 9, 12, 51.5, -0.1, sent=at(MON), required_skill="network"),
    ]


EXPECTED = {
    "TK-A": (
        "T1",
        "TK-A -> T1: holds the required skills; 2 h cost 120.00 USD, billable 0.00 USD; 70 h of SLA slack.",
    ),
    "TK-B": ("T2", "TK-B -> T2: is available; 3 h cost 120.00 USD, billable 0.00 USD; 69 h of SLA slack."),
    "TK-D": (
        None,
        "TK-D is left unassigned: no qualified technician with room was worth it"
        " (leaving it costs 10000.00 USD).",
    ),
    "V-X": (
        "T1",
        "V-X -> T1: holds the required skills; 1 h cost 60.00 USD, covered by the agreement;"
        " 35 h of SLA slack.",
    ),
}


class Running(RunningService):
    pass


@pytest.fixture
async def ram(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(
        MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'ram.db'}", route_iterations=50
    )
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


async def test_incoming_work_is_assigned_on_the_tick_and_served_with_its_reason(ram: Running) -> None:
    await ram.deliver(*incoming(), tick(MON), tick(MON + timedelta(days=1)))
    async with ram.http() as http:
        rows = (await http.get("/assignments")).json()
        t1 = (await http.get("/assignments", params={"technician_id": "T1"})).json()
        left = (await http.get("/assignments", params={"unassigned": "true"})).json()
        visits = (await http.get("/assignments", params={"kind": "visit"})).json()
        bad_kind = await http.get("/assignments", params={"kind": "meeting"})
        both = await http.get("/assignments", params={"technician_id": "T1", "unassigned": "true"})
        bad_limit = await http.get("/assignments", params={"limit": "0"})
    # the second tick assigns nothing again: each piece of work once
    assert {r["work_id"]: (r["technician_id"], r["explanation"]) for r in rows} == EXPECTED
    assert len(rows) == 4 and all(r["assigned_at"].startswith("2026-11-02") for r in rows)
    assert all(r["revision"] == 1 for r in rows)
    assert sorted(r["work_id"] for r in t1) == ["TK-A", "V-X"]
    assert [r["work_id"] for r in left] == ["TK-D"]
    assert [(r["work_id"], r["kind"], r["hours"]) for r in visits] == [("V-X", "visit", "1.0")]
    assert all(r.status_code == 422 for r in (bad_kind, both, bad_limit))
    assert "exclude each other" in both.text


async def test_assignments_do_not_depend_on_delivery_order(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", route_iterations=50)
    log = incoming()
    first = await replay(
        create_service, settings, [*log, tick(MON)], database_url=f"sqlite:///{tmp_path}/a.db"
    )
    facts = log[2:]
    random.Random(3).shuffle(facts)
    second = await replay(
        create_service, settings, [*log[:2], *facts, tick(MON)], database_url=f"sqlite:///{tmp_path}/b.db"
    )
    assert first.dead_letters == second.dead_letters == []
    assert [e.model_dump_json() for e in first.outputs] == [e.model_dump_json() for e in second.outputs]


def resent(original: Envelope[Any], day_offset: int, **changes: Any) -> Envelope[Any]:
    """The PSA re-sends a ticket with some fields changed, later."""
    when = at(MON + timedelta(days=day_offset), 6)
    data = original.data.model_copy(update={**changes, "updated_at": when})
    return Envelope.build(data, source="psa.connectwise", time=when)


def made(outputs: list[Envelope[Any]]) -> list[tuple[str, int, str | None, str | None, str]]:
    return sorted(
        (
            e.data.work_id,
            e.data.revision,
            e.data.technician_id,
            e.data.previous_technician_id,
            str(e.data.hours),
        )
        for e in outputs
        if e.type == "resource.assignment.made"
    )


async def test_each_assignment_is_published_once_and_again_when_the_work_changes(tmp_path: Path) -> None:
    log = incoming()
    tk_b, tk_d, tk_a = log[4], log[5], log[3]
    log += [
        tick(MON),
        tick(MON + timedelta(days=1)),  # nothing changed: nothing published again
        resent(tk_b, 1, estimated_hours=Decimal(5)),  # a bigger estimate
        resent(tk_d, 1, required_skill=None),  # no longer needs network: T2 can take it
        resent(tk_a, 1, actual_hours=Decimal("0.5")),  # work logged: same skill and estimate
        tick(MON + timedelta(days=2)),
    ]
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/r.db"
    )
    assert result.dead_letters == []
    # Monday: each of the four once, revision 1, with the stored reason
    # Wednesday: the two that changed what they need, assigned afresh together (revision 2)
    assert made(result.outputs) == [
        ("TK-A", 1, "T1", None, "2"),
        ("TK-B", 1, "T2", None, "3"),
        ("TK-B", 2, "T2", "T2", "5"),
        ("TK-D", 1, None, None, "4"),
        ("TK-D", 2, "T2", None, "4"),
        ("V-X", 1, "T1", None, "1"),
    ]
    events = {
        (e.data.work_id, e.data.revision): e.data
        for e in result.outputs
        if e.type == "resource.assignment.made"
    }
    # revision 1 carries the stored one-sentence reason, the labour cost and the SLA slack
    assert {w: (events[w, 1].technician_id, events[w, 1].reason) for w in EXPECTED} == EXPECTED
    assert (events["TK-A", 1].labour_cost, events["TK-A", 1].sla_slack_hours) == (usd("120.00"), Decimal(70))
    assert (events["TK-D", 1].labour_cost, events["TK-D", 1].sla_slack_hours) == (None, None)
    # Wednesday 00:00, fix-by Thursday 00:00: 24 h less TK-D's 4 h on T2 (40 USD/h)
    assert (events["TK-D", 2].labour_cost, events["TK-D", 2].sla_slack_hours, events["TK-D", 2].reason) == (
        usd("160.00"),
        Decimal(20),
        "TK-D -> T2: is available; 4 h cost 160.00 USD, billable 0.00 USD; 20 h of SLA slack.",
    )
    assert events["TK-D", 2].required_skill is None and events["TK-D", 1].required_skill == "network"
    # ids derive from the tick that caused them: a replay gives the same bytes
    again = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/s.db"
    )
    assert [e.model_dump_json() for e in again.outputs] == [e.model_dump_json() for e in result.outputs]
