"""Determinism, validity and ordering of the generated log."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from msp_events import REGISTRY

from msp_sim.generate import generate, truth_path_for
from msp_sim.params import Params

from .conftest import Run


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    params = Params(seed=3, clients=8, technicians=3, months=3, start=date(2025, 1, 1))
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    generate(params, a)
    generate(params, b)
    generate(Params(seed=4, clients=8, technicians=3, months=3, start=date(2025, 1, 1)), c)
    assert _sha(a) == _sha(b)
    assert _sha(truth_path_for(a)) == _sha(truth_path_for(b))
    assert _sha(a) != _sha(c)
    assert _sha(truth_path_for(a)) != _sha(truth_path_for(c))


def test_every_line_decodes_and_the_log_is_time_ordered(run: Run) -> None:
    assert len(run.events) == run.stats.events > 10_000
    keys = [(e.time, e.id) for e in run.events]
    assert keys == sorted(keys)
    assert len({e.id for e in run.events}) == len(run.events)
    assert run.events[0].time.date() >= run.params.start
    assert run.events[-1].time.date() <= run.params.end


def test_only_source_and_platform_events_and_every_domain_present(run: Run) -> None:
    owners = {REGISTRY.get(t).owner for t in run.stats.by_type}
    assert owners <= {"source", "platform"}
    expected = {spec.type for spec in REGISTRY if spec.owner in ("source", "platform")}
    assert expected <= set(run.stats.by_type), expected - set(run.stats.by_type)
    assert sum(run.stats.by_type.values()) == run.stats.events
    assert run.stats.bytes == run.log.stat().st_size


def test_invoices_add_up_and_money_is_in_cents(run: Run) -> None:
    for e in run.of_type("billing.invoice.issued"):
        inv = e.data
        lines = sum(line.amount.amount for line in inv.lines)
        assert inv.total.amount == lines + inv.tax.amount
        assert inv.total.amount == inv.total.amount.quantize(inv.total.amount.__class__("0.01"))


def test_daily_clock_and_weekday_seasonality(run: Run) -> None:
    ticks = [e.data.now.date() for e in run.of_type("clock.ticked")]
    assert len(ticks) == (run.params.end - run.params.start).days + 1
    opened = [e.data.opened_at for e in run.of_type("psa.ticket.updated") if e.data.status == "new"]
    from msp_sim.timeline import LOCAL_TZ

    by_weekday = [0] * 7
    for at in opened:
        by_weekday[at.astimezone(LOCAL_TZ).weekday()] += 1
    assert by_weekday[0] > max(by_weekday[1:5])  # Monday peak
    assert max(by_weekday[5:]) < min(by_weekday[:5]) / 3  # quiet weekends
    priorities = {e.data.priority for e in run.of_type("psa.ticket.updated")}
    assert priorities == {"p1", "p2", "p3", "p4"}
