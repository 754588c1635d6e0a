"""``out/demo/summary.json``: counts per event type, the key figures, each agent's detection score.

Money is written as decimal strings (never floats); precision and recall are ratios. Nothing in it
depends on the wall clock, so the same seed and size give the same file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_demo.figures import actions, key_figures
from msp_demo.findings import Findings
from msp_demo.run import AgentCounts, Hiccups
from msp_demo.scenario import Scenario
from msp_demo.scoring import AgentScore

FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build(
    scenario: Scenario,
    findings: Findings,
    scores: list[AgentScore],
    counts: dict[str, AgentCounts],
    hiccups: Hiccups | None,
) -> dict[str, Any]:
    p = scenario.params
    facts = sum(n for t, n in findings.event_counts.items() if t not in findings.agent_events)
    derived = sum(len(v) for v in findings.agent_events.values())
    document: dict[str, Any] = _plain(
        {
            "format_version": FORMAT_VERSION,
            "run": {
                "seed": p.seed,
                "clients": p.clients,
                "technicians": p.technicians,
                "months": p.months,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "currency": findings.currency,
            },
            "events": {
                "total": sum(findings.event_counts.values()),
                "facts": facts,
                "derived": derived,
                "by_type": findings.event_counts,
            },
            "key_figures": key_figures(findings),
            "actions": [asdict(a) for a in actions(findings)[:10]],
            "agents": {
                name: {
                    "consumed": sum(c.consumed.values()),
                    "duplicates_dropped": c.duplicates,
                    "dead_lettered": c.dead_lettered,
                    "published": c.published,
                }
                for name, c in counts.items()
            },
            "detection": {s.agent: s.as_json() for s in scores},
            "hiccups": None
            if hiccups is None
            else {
                "duplicate": hiccups.duplicate_id,
                "late_fact": hiccups.late_id,
                "malformed_topic": hiccups.malformed_topic,
                "duplicates_dropped": {a: hiccups.duplicates_dropped(a) for a in hiccups.after},
                "dead_lettered": {a: hiccups.dead_letters(a) for a in hiccups.after},
            },
        }
    )
    return document


def write(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
