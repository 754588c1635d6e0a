"""``msp-demo --kafka … --database-url …``: the same scenario with each agent as its own process on
real Kafka and PostgreSQL finds what the embedded run finds.

Both runs pace the log by day (``msp_demo.run``); the summary (counts per event type, key figures,
every agent's found / missed / false against the truth, the hiccups absorbed) must be equal, and
so must every event the agents derived, id and content.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from msp_events import eventlog

from msp_demo.cli import Outcome, demo

pytestmark = pytest.mark.integration


def _derived(outcome: Outcome, state: Path) -> dict[str, tuple[str, str]]:
    return {
        e.id: (e.type, e.data.model_dump_json())
        for e in eventlog.read(state / "events.jsonl")
        if e.causationid
    }


def _findings(outcome: Outcome) -> dict[str, Any]:
    """The summary: ``run`` is the scenario's size; wall times are only printed, never in it."""
    return dict(json.loads(outcome.summary_path.read_text()))


def test_on_kafka_the_demo_finds_what_the_embedded_run_finds(
    tmp_path: Path, kafka_bootstrap: str, postgres_admin_url: str
) -> None:
    console = Console(file=io.StringIO(), width=160)
    embedded = demo(7, 3, 1, None, tmp_path / "e-out", tmp_path / "e-state", console)
    on_kafka = demo(
        7,
        3,
        1,
        None,
        tmp_path / "k-out",
        tmp_path / "k-state",
        console,
        kafka=kafka_bootstrap,
        database_url=postgres_admin_url,
    )
    assert "start" in on_kafka.seconds and "start" not in embedded.seconds  # processes were started
    derived = _derived(embedded, tmp_path / "e-state")
    assert len(derived) > 20
    assert _derived(on_kafka, tmp_path / "k-state") == derived
    kafka_findings, embedded_findings = _findings(on_kafka), _findings(embedded)
    assert kafka_findings["detection"] == embedded_findings["detection"]
    assert kafka_findings == embedded_findings
    # the hiccups went through the broker: the copy dropped and the malformed message dead-lettered
    # by the consumers of psa.client.upserted, read from each process's /metrics
    hiccups = kafka_findings["hiccups"]
    assert hiccups["duplicates_dropped"]["cpi"] == 1
    assert hiccups["dead_lettered"]["cpi"] == {"not-json": 1}
