"""The report, the summary and the whole demo at a tiny size, and the report in headless Chromium.

Two reports are checked: one drawn from hand-built findings that have data for every chart, a
decision with each agent's vote and a cross-agent chain (the agents of this run may produce none),
and the real one of a tiny demo run (3 clients, 1 month: the whole pipeline, session-scoped). The
browser is Debian's chromium (``make browser`` installs it), driven by the playwright package.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from msp_events import Envelope, Money, agents, eventlog
from msp_events.types.consensus import DecisionProposed, DecisionReached, DecisionVoteCast
from msp_events.types.psa import ClientUpserted

from msp_demo import report
from msp_demo.cli import Outcome, demo
from msp_demo.figures import actions
from msp_demo.findings import Findings, cross_agent_chains, decisions_of
from msp_demo.run import EVENT_LOG
from msp_demo.scoring import AgentScore

AT = datetime(2025, 3, 1, tzinfo=UTC)


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def decision_events() -> list[Envelope[Any]]:
    """A fact, SLI's proposal caused by it, CPI's and SPO's votes, SLI's outcome: a chain over agents."""
    fact = Envelope.build(
        ClientUpserted(
            client_id="C0001", name="Harbor Dental", status="active", currency="USD", created_on=AT.date()
        ),
        source="psa.connectwise",
        time=AT,
    )
    proposal = Envelope.build(
        DecisionProposed(
            decision_id="D-1",
            proposer="sli",
            action="reduce_licence_seats",
            subject="client/C0001",
            parameters={"seats": "4"},
            estimated_monthly_impact=Money(amount=Decimal("-88.00"), currency="USD"),
            rationale="four seats idle for 45 days",
            required_voters=["cpi", "spo"],
            proposed_at=AT,
            expires_at=AT + timedelta(days=2),
        ),
        source="msp.sli",
        time=AT + timedelta(minutes=1),
        causationid=fact.id,
        correlationid=fact.id,
    )
    votes = [
        Envelope.build(
            DecisionVoteCast(
                decision_id="D-1", voter=voter, vote=vote, reason=reason, cast_at=AT + timedelta(hours=1)
            ),
            source=f"msp.{voter}",
            time=AT + timedelta(hours=1, minutes=n),
            causationid=proposal.id,
            correlationid=fact.id,
        )
        for n, (voter, vote, reason) in enumerate(
            [("cpi", "approve", "margin improves"), ("spo", "reject", "undercuts open quote Q-77")]
        )
    ]
    reached = Envelope.build(
        DecisionReached(
            decision_id="D-1",
            proposer="sli",
            action="reduce_licence_seats",
            subject="client/C0001",
            outcome="rejected",
            approvals=1,
            rejections=1,
            abstentions=0,
            ballots=[
                {"voter": "cpi", "vote": "approve", "reason": "margin improves"},
                {"voter": "spo", "vote": "reject", "reason": "undercuts open quote Q-77"},
            ],
            decided_at=AT + timedelta(hours=2),
        ),
        source="msp.sli",
        time=AT + timedelta(hours=2),
        causationid=votes[1].id,
        correlationid=fact.id,
    )
    return [fact, proposal, *votes, reached]


def agent_rows(envelopes: list[Envelope[Any]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for e in envelopes:
        if e.source.startswith("msp."):
            row = e.data.model_dump(mode="json") | {"_id": e.id, "_time": e.time.isoformat()}
            rows.setdefault(e.type, []).append(row)
    return rows


def handmade(with_decisions: bool = True) -> Findings:
    envelopes = decision_events() if with_decisions else []
    rows = agent_rows(envelopes)
    month = {
        "month": "2025-02",
        "revenue": {"total": "5000.00"},
        "profit": "1500.00",
        "gross_margin_pct": "30.00",
    }
    return Findings(
        currency="USD",
        months=["2025-01", "2025-02"],
        clients=[
            {
                "client_id": "C0001",
                "name": "Harbor Dental",
                "status": "active",
                "month": "2025-02",
                "gross_margin_pct": "30.00",
                "band": "thin",
                "problem_client": False,
                "churn_risk": "0.62",
                "churn_band": "high",
            },
            {
                "client_id": "C0002",
                "name": "Blue Fern Law",
                "status": "churned",
                "month": "2025-02",
                "gross_margin_pct": "71.00",
                "band": "strong",
                "problem_client": False,
                "churn_risk": "0.10",
                "churn_band": "low",
            },
        ],
        margins={"C0001": [month | {"month": "2025-01", "gross_margin_pct": "45.00"}, month], "C0002": []},
        pipeline={
            "as_of": "2025-02-28",
            "simulations": 1000,
            "months": [
                {
                    "month": m,
                    "weighted_one_time": usd("500.00"),
                    "weighted_recurring_monthly": usd("900.00"),
                    "recurring_monthly_bookings": {
                        "p10": usd("0.00"),
                        "p50": usd("800.00"),
                        "p90": usd("2000.00"),
                    },
                }
                for m in ("2025-03", "2025-04")
            ],
        },
        utilisation={
            m: [
                {"subject": "T001", "scope": "technician", "utilisation_pct": "112.0"},
                {"subject": "T002", "scope": "technician", "utilisation_pct": "41.5"},
                {"subject": "team:L1", "scope": "team", "utilisation_pct": "76.0"},
            ]
            for m in ("2025-01", "2025-02")
        },
        route={
            "plan": {
                "date": "2025-02-11",
                "solver": "pyvrp",
                "routes": [
                    {
                        "technician_id": "T001",
                        "distance_m": 42000,
                        "stops": [
                            {"visit_id": "V-1", "arrival": "09:30:00"},
                            {"visit_id": "V-2", "arrival": "11:00:00"},
                        ],
                    }
                ],
                "dropped": [{"visit_id": "V-3"}],
            },
            "visits": {
                "V-1": [41.9, -87.6, "C0001"],
                "V-2": [41.8, -87.7, "C0002"],
                "V-3": [42.0, -87.9, "C0001"],
            },
            "homes": {"T001": [41.85, -87.65]},
        },
        licences=[
            {
                "client_id": "C0001",
                "product_name": "Microsoft 365 Business Premium",
                "finding_class": "under_billed",
                "status": "open",
                "seats": 4,
                "monthly": usd("88.00"),
                "nature": "leakage",
                "action_text": "add 4 seats to agreement A0001-1",
            }
        ],
        savings={"open": [{"nature": "leakage", "monthly": usd("88.00")}], "realised": []},
        budgets={
            "Projects": [
                {"month": "2025-01-01", "planned": usd("1000.00"), "actual": usd("950.00")},
                {"month": "2025-02-01", "planned": usd("1000.00"), "actual": usd("1900.00")},
            ]
        },
        anomalies=[
            {
                "anomaly_id": "a1",
                "dimension": "department",
                "value": "Projects",
                "department": "Projects",
                "shape": "spike",
                "status": "open",
                "period_start": "2025-02-03",
                "period_end": "2025-02-05",
                "expected": usd("100.00"),
                "actual": usd("1000.00"),
                "impact": usd("900.00"),
            }
        ],
        contracts=[
            {
                "contract_id": "VC-1",
                "vendor_name": "Datto, Inc.",
                "term_end": "2025-09-07",
                "notice_deadline": "2025-06-09",
                "annual_value": "14900.00",
                "currency": "USD",
            }
        ],
        renewals_due=[
            {
                "contract_id": "VC-1",
                "vendor": "Datto, Inc.",
                "notice_deadline": "2025-06-09",
                "annual_value": usd("14900.00"),
                "summary": "Datto: last day to opt out is 2025-06-09",
                "_id": "r1",
                "_time": "2025-02-10T00:00:00+00:00",
            }
        ],
        event_counts={"psa.client.upserted": 1, **{t: len(r) for t, r in rows.items()}},
        agent_events=rows,
        decisions=decisions_of(rows),
        chains=cross_agent_chains(envelopes),
    )


SCORES = [
    AgentScore("ram", "over- and under-used technicians", 2, 1, 1, 1, 0.5, 0.5, "bench", ["missed T002"])
]


def test_decisions_and_cross_agent_chains_come_from_the_events() -> None:
    f = handmade()
    [decision] = f.decisions
    assert decision.proposal is not None and decision.proposal["proposer"] == "sli"
    assert [(v["voter"], v["vote"]) for v in decision.votes] == [("cpi", "approve"), ("spo", "reject")]
    assert decision.outcome is not None and decision.outcome["outcome"] == "rejected"
    # the outcome's chain: fact -> SLI proposal -> SPO vote -> SLI outcome (SLI and SPO), the longest path
    first = f.chains[0]
    assert first.event_type == "decision.reached"
    assert first.agents == ["sli", "spo"]
    assert first.path == [
        "psa.client.upserted",
        "decision.proposed",
        "decision.vote.cast",
        "decision.reached",
    ]
    assert first.tree["root"]["type"] == "psa.client.upserted"


def test_every_section_is_in_the_report_with_votes_and_trace_links(tmp_path: Path) -> None:
    f = handmade()
    page = report.render(f, SCORES, Path(".demo"), "demo", "seed 7")
    for section in report.SECTIONS:
        assert f"<section id='{section}'>" in page
    assert "SPO: reject</span> — undercuts open quote Q-77" in page
    assert "CPI: approve</span>" in page
    chain = f.chains[0]
    assert f"<div id='chain-{chain.event_id}'>" in page
    assert f"msp-trace {chain.event_id} --from embedded:.demo" in page
    assert "<details><summary>trace tree</summary>" in page
    assert "https://" not in page.split("<script", 1)[0]  # nothing fetched for the page itself
    empty = report.render(handmade(with_decisions=False), SCORES, Path(".demo"), "demo", "")
    assert "No decisions were needed" in empty
    assert "No event&#x27;s causal chain crossed" in empty


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The whole demo on a tiny simulated MSP (3 clients, 1 month)."""
    root = tmp_path_factory.mktemp("demo")
    console = Console(file=io.StringIO(), width=160)
    return demo(7, 3, 1, None, root / "out", root / "state", console)


def test_summary_counts_events_figures_and_every_agents_score(tiny_run: Outcome) -> None:
    summary = json.loads(tiny_run.summary_path.read_text())
    assert summary["run"] == {
        "seed": 7,
        "clients": 3,
        "technicians": 1,
        "months": 1,
        "start": "2025-01-01",
        "end": "2025-01-31",
        "currency": "USD",
    }
    events = summary["events"]
    assert events["total"] == sum(events["by_type"].values()) == events["facts"] + events["derived"]
    assert events["by_type"]["clock.ticked"] == 31
    assert events["derived"] > 0
    money = (
        "revenue_last_month",
        "gross_profit_last_month",
        "licence_leakage_monthly",
        "licence_savings_monthly",
        "spend_anomaly_impact",
        "pipeline_weighted_recurring_monthly",
        "pipeline_weighted_one_time",
    )
    for name in money:  # decimal strings, never floats
        value = summary["key_figures"][name]
        assert isinstance(value, str) and Decimal(value) == Decimal(value).quantize(Decimal("0.01")), name
    assert set(summary["detection"]) == set(agents.names())
    for score in summary["detection"].values():
        assert score["found"] + score["missed"] == score["planted"]
        for ratio in (score["precision"], score["recall"]):
            assert ratio is None or 0 <= ratio <= 1
    for action in summary["actions"]:
        Decimal(action["monthly"])
    hiccups = summary["hiccups"]
    assert hiccups["duplicates_dropped"]["cpi"] == 1
    assert hiccups["dead_lettered"]["cpi"] == {"not-json": 1}
    assert not re.search(r"\d+\.\d{5,}", json.dumps(summary["key_figures"])), "money went through a float"


def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make browser` (tools/demo/install-chromium.sh) installs it")
    return path


def open_in_chromium(pages: list[Path]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            for path in pages:
                page = browser.new_page()
                errors: list[str] = []
                page.on(
                    "console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.route(
                    "**/*", lambda r: r.abort() if not r.request.url.startswith("file:") else r.continue_()
                )
                page.goto(path.as_uri(), wait_until="load")
                seen.append(
                    {
                        "errors": errors,
                        "sections": page.eval_on_selector_all("section", "els => els.map(e => e.id)"),
                        "charts": page.eval_on_selector_all(
                            ".js-plotly-plot",
                            "els => els.map(e => [e.id, e.querySelectorAll('svg.main-svg').length > 0])",
                        ),
                    }
                )
                page.close()
        finally:
            browser.close()
    return seen


def test_every_derived_event_names_its_cause_and_the_fact_that_started_its_chain(tiny_run: Outcome) -> None:
    """Issue 16 §2: what an agent published carries ``causationid`` (the event it handled, found in
    the log) and ``correlationid`` (the id at the root of the chain), so ``msp-trace`` can walk any
    outcome back to the facts."""
    log = tiny_run.report.parent.parent / "state" / EVENT_LOG
    by_id = {e.id: e for e in eventlog.read(log)}
    agent_sources = {f"msp.{name}" for name in agents.installed()}
    derived = [e for e in by_id.values() if e.source in agent_sources]
    assert derived, "the agents published something"
    for event in derived:
        assert event.causationid in by_id, f"{event.type} {event.id}: its cause is not in the log"
        root = event
        while root.causationid is not None:
            root = by_id[root.causationid]
        assert root.source not in agent_sources, f"{event.type} {event.id}: the chain starts at an agent"
        assert event.correlationid == (root.correlationid or root.id)


def test_the_reports_load_in_headless_chromium_with_every_section_and_chart(
    tiny_run: Outcome, tmp_path: Path
) -> None:
    handmade_page = tmp_path / "handmade.html"
    report.write(report.render(handmade(), SCORES, Path(".demo"), "demo", "seed 7"), handmade_page)
    built, real = open_in_chromium([handmade_page, tiny_run.report])
    for seen in (built, real):
        assert seen["errors"] == []
        assert seen["sections"] == list(report.SECTIONS)
        assert all(drawn for _, drawn in seen["charts"]), seen["charts"]
    assert [chart for chart, _ in built["charts"]] == [
        "chart-profitability",
        "chart-margin-trend",
        "chart-churn",
        "chart-pipeline",
        "chart-utilisation",
        "chart-route",
        "chart-licences",
        "chart-savings",
        "chart-spend",
        "chart-renewals",
    ]
    assert len(real["charts"]) >= 5  # a month of a tiny MSP: margins, pipeline, utilisation, licences, spend


def test_the_owner_acts_first_on_the_largest_monthly_amount() -> None:
    acts = actions(handmade())
    assert [(a.agent, a.monthly) for a in acts] == [
        ("cpi", Decimal("5000.00")),  # high churn risk: the month's revenue at stake
        ("cpi", Decimal("1500.00")),  # 30 % margin on 5,000: 30 points short of 60 %
        ("vcm", Decimal("1241.67")),  # 14,900 a year, deadline after the run's end
        ("sli", Decimal("88.00")),
    ]
    past = handmade()
    past.renewals_due[0]["notice_deadline"] = "2025-02-10"  # passed before the log ended
    assert "vcm" not in {a.agent for a in actions(past)}
