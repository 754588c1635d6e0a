"""The CLI end to end: generate a small log, publish it to the embedded agents."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from msp_events.eventlog import count, read

from msp_sim.cli import app
from msp_sim.generate import generate
from msp_sim.params import Params


def test_generate_command_writes_log_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "small.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--seed",
            "2",
            "--clients",
            "4",
            "--technicians",
            "2",
            "--months",
            "2",
            "--start",
            "2025-03-15",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert count(out) > 100
    first = next(read(out))
    assert first.time.date().isoformat() == "2025-03-01"
    truth = json.loads((tmp_path / "small.truth.json").read_text())
    assert truth["run"]["start"] == "2025-03-01" and truth["run"]["end"] == "2025-04-30"


def test_publish_to_embedded_reaches_the_agents(tmp_path: Path) -> None:
    log = tmp_path / "tiny.jsonl"
    generate(Params(seed=5, clients=2, technicians=2, months=1), log)
    state = tmp_path / "agents"
    result = CliRunner().invoke(app, ["publish", str(log), "--to", f"embedded:{state}"])
    assert result.exit_code == 0, result.output
    assert f"published {count(log):,} events" in result.output
    rows = 0
    for db in sorted(state.glob("*.db")):
        with sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
            rows += sum(
                conn.execute(f'select count(*) from "{t}"').fetchone()[0]
                for t in tables
                if t != "alembic_version"
            )
    assert len(list(state.glob("*.db"))) == 6
    assert rows > 0
