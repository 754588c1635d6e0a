"""``msp-trace``: the chain from a fact to an outcome, from hand-built chains and CPI's real outputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from msp_events import Envelope, eventlog
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted

from msp_replay.trace import key_figures, trace
from msp_replay.trace_cli import app

GOLDEN = Path(__file__).resolve().parents[3] / "services" / "cpi" / "tests" / "golden"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def client(n: int) -> ClientUpserted:
    return ClientUpserted(client_id=f"C{n}", name=f"Client {n}", status="active", created_on=date(2024, 1, 1))


def chain() -> tuple[list[Envelope[Any]], dict[str, Envelope[Any]]]:
    """A tick that caused three events; the second of them caused one more (the outcome)."""
    tick = Envelope.build(ClockTicked(now=T0, granularity="day"), source="platform", time=T0)
    first, second, third = (  # C3 at 00:01, C2 at 00:02, C1 at 00:03: time order is not id order
        tick.caused(client(n), source="msp.cpi", producer="cpi", seq=n, time=T0 + timedelta(minutes=4 - n))
        for n in (3, 2, 1)
    )
    outcome = second.caused(client(9), source="msp.spo", producer="spo", seq=0, time=T0 + timedelta(hours=1))
    unrelated = Envelope.build(client(5), source="psa", time=T0)
    return [tick, first, second, third, outcome, unrelated, outcome], {
        "tick": tick,
        "second": second,
        "outcome": outcome,
    }


def test_the_path_runs_from_the_fact_to_the_outcome_and_other_effects_are_counted() -> None:
    events, named = chain()
    result = trace(events, named["outcome"].id)
    root = result.root
    assert root.envelope.id == named["tick"].id and root.on_path and not root.target
    assert result.depth == 2 and result.missing_cause is None
    [step] = root.children
    assert step.envelope.id == named["second"].id and step.on_path and step.agent == "cpi"
    assert root.other_effects == 2  # the first and third effects of the tick, not shown
    [leaf] = step.children  # the redelivered outcome counts once
    assert leaf.target and leaf.agent == "spo" and leaf.children == []


def test_full_shows_every_effect_in_time_order() -> None:
    events, named = chain()
    root = trace(events, named["outcome"].id, full=True).root
    assert [c.figures()["client_id"] for c in root.children] == ["C3", "C2", "C1"]
    assert root.other_effects == 0


def test_a_cause_outside_the_log_is_reported_and_an_unknown_id_is_an_error() -> None:
    events, named = chain()
    result = trace(events[1:], named["outcome"].id)  # the log starts after the tick
    assert result.root.envelope.id == named["second"].id
    assert result.missing_cause == named["tick"].id
    try:
        trace(events, "no-such-id")
    except LookupError as exc:
        assert str(exc) == "no event with id no-such-id among the 7 events read"
    else:
        raise AssertionError("an unknown id must be an error")


def cpi_log(tmp_path: Path) -> tuple[Path, list[Envelope[Any]]]:
    inputs = list(eventlog.read(GOLDEN / "collapse_input.jsonl"))
    outputs = list(eventlog.read(GOLDEN / "collapse_profitability_changed.jsonl"))
    path = tmp_path / "events.jsonl"
    eventlog.write(inputs + outputs, path)
    return path, outputs


def test_cpi_alerts_trace_back_to_the_fact_that_closed_their_month(tmp_path: Path) -> None:
    path, outputs = cpi_log(tmp_path)
    collapse = outputs[0]
    result = trace(eventlog.read(path), collapse.id)
    assert result.root.envelope.type == "clock.ticked" and result.depth == 1
    assert key_figures(collapse) == {
        "client_id": "C-1",
        "cost": "USD 2,063.50",
        "effective_hourly_rate": "USD 60.58",
        "revenue": "USD 2,500.00",
        "gross_margin_pct": "17.46",
    }


def test_cli_prints_the_tree_and_json_from_a_file_or_an_embedded_folder(tmp_path: Path) -> None:
    path, outputs = cpi_log(tmp_path)
    collapse = outputs[0]
    tree = CliRunner().invoke(app, [collapse.id, "--from", str(path)])
    assert tree.exit_code == 0, tree.output
    lines = tree.output.splitlines()
    tick = (
        "clock.ticked · 2026-03-07 00:00 · platform · clock=utc, now=2026-03-07T00:00:00Z, granularity=hour"
    )
    assert lines[0] == tick
    assert (
        "▶ client.profitability.changed · 2026-03-07 00:00 · cpi · client_id=C-1, revenue=USD 2,500.00"
        in tree.output
    )
    assert f"{collapse.id} is 1 step from its fact." in tree.output
    as_json = CliRunner().invoke(app, [collapse.id, "--from", f"embedded:{tmp_path}", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert document["target"] == collapse.id and document["depth"] == 1
    [child] = document["root"]["children"]
    assert child["target"] and child["figures"]["gross_margin_pct"] == "17.46"


def test_cli_errors_say_what_to_do(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["x", "--from", f"embedded:{tmp_path}"])
    assert missing.exit_code == 2 and "run `make demo`" in missing.output
    path, _ = cpi_log(tmp_path)
    unknown = CliRunner().invoke(app, ["nope", "--from", str(path)])
    assert unknown.exit_code == 2 and "no event with id nope among the 43 events read" in unknown.output
    bad_format = CliRunner().invoke(app, ["x", "--from", str(path), "--format", "xml"])
    assert bad_format.exit_code == 2 and "--format must be tree or json" in bad_format.output
