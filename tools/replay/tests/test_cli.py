"""msp-replay without a broker: --where, topics and times, the diff core, play --dry-run, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from msp_events import Envelope, eventlog
from msp_events.testing.replay import ABSENT, FieldChange, diff_events
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted

from msp_replay.cli import app
from msp_replay.filters import FilterError, Where, parse_time, resolve_topics
from msp_replay.play import summarise

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
runner = CliRunner()


def client(client_id: str, name: str, minute: int = 0, status: str = "active") -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id=client_id, name=name, status=status, created_on=date(2024, 1, 1))
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def tick(minute: int) -> Envelope[Any]:
    now = T0 + timedelta(minutes=minute)
    return Envelope.build(ClockTicked(clock="utc", now=now), source="platform.clock", time=now)


def attrs(e: Envelope[Any]) -> dict[str, Any]:
    return e.model_dump(exclude={"data"})


# -- --where ------------------------------------------------------------------------------------------


def test_where_keeps_everything_when_empty() -> None:
    where = Where.parse([])
    assert not where and where.matches(attrs(client("C-1", "A")))


def test_where_fields_are_anded_and_repeated_fields_ored() -> None:
    where = Where.parse(["type=psa.client.*", "subject=client/C-1", "subject=client/C-3"])
    assert where.matches(attrs(client("C-1", "A")))
    assert where.matches(attrs(client("C-3", "A")))
    assert not where.matches(attrs(client("C-2", "A")))
    assert not where.matches(attrs(tick(0)))


def test_where_globs_and_exclusions() -> None:
    where = Where.parse(["subject=client/C-1*", "source!=psa.*"])
    assert not where.matches(attrs(client("C-10", "A")))  # excluded by source
    assert Where.parse(["subject=client/C-1*"]).matches(attrs(client("C-10", "A")))
    assert Where.parse([" type = clock.ticked "]).matches(attrs(tick(0)))


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("type", "write FIELD=GLOB"),
        ("type=", "write FIELD=GLOB"),
        ("colour=red", "unknown field 'colour'"),
        ("Type=x", "write FIELD=GLOB"),
    ],
)
def test_where_refuses_what_it_cannot_use(clause: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        Where.parse([clause])


def test_topics_from_types_topic_names_and_all() -> None:
    assert resolve_topics(["psa.client.upserted"]) == ["psa.client.upserted"]
    assert resolve_topics(["dlt.cpi.psa.client.upserted", "redrive.cpi.psa.client.upserted"]) == [
        "dlt.cpi.psa.client.upserted",
        "redrive.cpi.psa.client.upserted",
    ]
    everything = resolve_topics([], every=True)
    assert "clock.ticked" in everything and not any(t.startswith("dlt.") for t in everything)
    with pytest.raises(FilterError, match=r"did you mean .*psa\.client\.upserted"):
        resolve_topics(["client.upserted"])
    with pytest.raises(FilterError, match="at least one"):
        resolve_topics([])


def test_times() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_time("2026-05-01T08:00:00Z") == T0
    assert parse_time("2026-05-01T08:00:00") == T0
    assert parse_time("2026-05-01T10:00:00+02:00") == T0
    assert parse_time("-4h", now=now) == T0
    assert parse_time("now", now=now) == now
    with pytest.raises(FilterError, match="ISO 8601"):
        parse_time("yesterday")


# -- the diff core ------------------------------------------------------------------------------------


def docs(*events: Envelope[Any]) -> list[dict[str, Any]]:
    return [json.loads(eventlog.dumps(e)) for e in events]


def test_equal_logs() -> None:
    events = docs(client("C-1", "A"), client("C-2", "B", 1))
    result = diff_events(events, list(events))
    assert result.is_equal and result.equal == 2
    assert "2 equal, 0 missing, 0 extra, 0 changed" in result.render()


def test_missing_and_extra() -> None:
    a, b, c = docs(client("C-1", "A"), client("C-2", "B", 1), client("C-3", "C", 2))
    result = diff_events([a, b], [b, c])
    assert [label for label, _ in result.missing] == ["psa.client.upserted client/C-1 #1"]
    assert [label for label, _ in result.extra] == ["psa.client.upserted client/C-3 #1"]
    report = result.render("golden", "current")
    assert "- missing  psa.client.upserted client/C-1 #1  (only in golden" in report
    assert "+ extra    psa.client.upserted client/C-3 #1  (only in current" in report


def test_changed_fields_show_their_paths_and_both_values() -> None:
    [before] = docs(client("C-1", "Acme"))
    after = json.loads(json.dumps(before))
    after["data"]["name"] = "Acme Ltd"
    after["data"]["tier"] = "Pro"
    del after["partitionkey"]
    result = diff_events([before], [after])
    [changed] = result.changed
    assert changed.changes == (
        FieldChange("data.name", "Acme", "Acme Ltd"),
        FieldChange("data.tier", ABSENT, "Pro"),
        FieldChange("partitionkey", "C-1", ABSENT),
    )
    report = result.render("golden", "current")
    assert '    data.name     golden: "Acme"  current: "Acme Ltd"' in report
    assert '    data.tier     golden: (absent)  current: "Pro"' in report


def test_only_the_named_paths_are_ignored() -> None:
    [before] = docs(client("C-1", "Acme"))
    after = {**before, "id": "other", "time": "2030-01-01T00:00:00Z", "data": {**before["data"], "name": "X"}}
    assert not diff_events([before], [after], ignore=["id", "time"]).is_equal
    assert diff_events([before], [after], ignore=["id", "time", "data.name"]).is_equal
    assert diff_events(
        [before], [after], ignore=["id", "time", "data"]
    ).is_equal  # a parent covers its fields
    assert diff_events([before], [after], ignore=["id", "ti*", "data.na*"]).is_equal  # globs per segment
    with pytest.raises(ValueError, match="not a field path"):
        diff_events([before], [after], ignore=["data..name"])


def test_events_match_by_occurrence_or_by_id() -> None:
    first, second = docs(client("C-1", "v1"), client("C-1", "v2", 1))
    # the same (type, subject) twice: the n-th matches the n-th
    result = diff_events([first, second], [first, {**second, "id": "new"}], ignore=["id"])
    assert result.is_equal
    by_id = diff_events([first, second], [first, {**second, "id": "new"}], match="id")
    assert (len(by_id.missing), len(by_id.extra), by_id.equal) == (1, 1, 1)
    swapped = diff_events([first, second], [second, first])
    assert [c.label for c in swapped.changed] == [
        "psa.client.upserted client/C-1 #1",
        "psa.client.upserted client/C-1 #2",
    ]
    assert diff_events([first, second], [second, first], match="id").is_equal


# -- play --dry-run -----------------------------------------------------------------------------------


def test_dry_run_summary(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    eventlog.write([tick(0), client("C-1", "A", 1), client("C-2", "B", 5), tick(60)], log)
    summary = summarise(log)
    assert summary.rows() == [
        ("clock.ticked", "clock.ticked", 2, "2026-05-01T08:00:00+00:00", "2026-05-01T09:00:00+00:00"),
        (
            "psa.client.upserted",
            "psa.client.upserted",
            2,
            "2026-05-01T08:01:00+00:00",
            "2026-05-01T08:05:00+00:00",
        ),
    ]
    assert (summary.start, summary.end) == (T0, T0 + timedelta(hours=1))
    assert summary.topics() == {"clock.ticked": 1, "psa.client.upserted": 3}
    only = summarise(log, Where.parse(["type=psa.*"]))
    assert (only.events, only.filtered_out) == (2, 2)


def test_cli_play_dry_run_prints_the_table_and_publishes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    eventlog.write([tick(0), client("C-1", "A", 1), client("C-2", "B", 5)], log)
    result = runner.invoke(app, ["play", str(log), "--to", "kafka://nowhere.invalid:9", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "psa.client.upserted" in result.output and "clock.ticked" in result.output
    assert "3 events valid" in result.output
    assert "event time 2026-05-01T08:00:00+00:00 → 2026-05-01T08:05:00+00:00" in result.output
    assert "nothing published" in result.output


def test_cli_play_validates_every_line_before_publishing(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    good = eventlog.dumps(client("C-1", "A"))
    bad_type = json.dumps({**json.loads(good), "type": "no.such.type"})
    log.write_text("\n".join([good, "{not json", bad_type, good]) + "\n")
    result = runner.invoke(app, ["play", str(log), "--to", "kafka://nowhere.invalid:9"])
    assert result.exit_code == 1
    assert f"{log}:2: not JSON" in result.output
    assert f"{log}:3: unknown-type" in result.output
    assert "2 of 4 lines are not valid events; nothing published" in result.output


def test_cli_play_embedded(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    eventlog.write([tick(0), client("C-1", "A", 1)], log)
    result = runner.invoke(app, ["play", str(log), "--to", f"embedded:{tmp_path / 'state'}"])
    assert result.exit_code == 0, result.output
    assert "2 events published" in result.output
    assert (tmp_path / "state" / "cpi.db").exists()


def test_cli_diff(tmp_path: Path) -> None:
    golden, current = tmp_path / "golden.jsonl", tmp_path / "current.jsonl"
    eventlog.write([client("C-1", "A"), client("C-2", "B", 1)], golden)
    eventlog.write([client("C-1", "A"), client("C-2", "B2", 1)], current)
    same = runner.invoke(app, ["diff", str(golden), str(golden)])
    assert same.exit_code == 0 and "2 equal, 0 missing, 0 extra, 0 changed" in same.output
    differ = runner.invoke(app, ["diff", str(golden), str(current)])
    assert differ.exit_code == 1
    assert "~ changed  psa.client.upserted client/C-2 #1" in differ.output
    assert "data.name" in differ.output and '"B2"' in differ.output
    # a different name gives a different derived id (and correlation id): ignore them all, equal
    ignore = ["-i", "id", "-i", "correlationid", "-i", "data.name"]
    ignored = runner.invoke(app, ["diff", str(golden), str(current), *ignore])
    assert ignored.exit_code == 0, ignored.output
    by_id = runner.invoke(app, ["diff", str(golden), str(current), "--by", "id"])
    assert by_id.exit_code == 1 and "1 missing, 1 extra" in by_id.output


def test_cli_refuses_bad_arguments(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    eventlog.write([client("C-1", "A")], log)
    unknown = runner.invoke(app, ["capture", "no.such", "-o", str(tmp_path / "o.jsonl")])
    assert unknown.exit_code == 2 and "neither an event type nor a topic" in unknown.output
    where = runner.invoke(app, ["play", str(log), "--dry-run", "--where", "colour=red"])
    assert where.exit_code == 2 and "unknown field" in where.output
    target = runner.invoke(app, ["play", str(log), "--to", "ftp://x"])
    assert target.exit_code == 2 and "unknown target" in target.output
    consumer = runner.invoke(app, ["redrive", "nobody"])
    assert consumer.exit_code == 2 and "unknown consumer" in consumer.output
    not_consumed = runner.invoke(app, ["redrive", "ram", "cloud.cost.recorded"])
    assert not_consumed.exit_code == 2 and "ram does not consume it" in not_consumed.output
    by = runner.invoke(app, ["diff", str(log), str(log), "--by", "name"])
    assert by.exit_code == 2
