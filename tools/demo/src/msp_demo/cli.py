"""``msp-demo`` (``make demo``): simulate an MSP, run the six agents on it in this process, brief.

    msp-demo [--seed 7] [--clients 40] [--months 12] [--technicians N] [--out out/demo] [--state .demo]
             [--kafka HOST:PORT --database-url URL]

Steps: ``scenario`` (the simulated log and its truth) → ``run`` (embedded agents, progress bar,
then a duplicate, a late fact and a malformed message; with ``--kafka`` the agents are processes
on Kafka and PostgreSQL instead, ``on_kafka``) → ``findings`` (the agents' APIs on their stores and
the event log) → ``scoring`` (against the truth) → ``briefing`` (terminal), ``report`` (HTML) and
``summary`` (JSON).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from msp_demo import briefing, report, scenario, scoring, summary
from msp_demo.findings import Stores, collect, months_between, read_event_log, sqlite_stores
from msp_demo.on_kafka import agents_on_kafka, run_on_kafka
from msp_demo.run import AgentCounts, Hiccups, counts, embedded, hiccups, run_log, write_log
from msp_sim.params import Params

app = typer.Typer(add_completion=False)


@dataclass
class Outcome:
    summary: dict[str, object]
    report: Path
    summary_path: Path
    seconds: dict[str, float]


async def _run(
    log: Path, state: Path, console: Console
) -> tuple[int, dict[str, float], dict[str, AgentCounts], Hiccups | None, Path]:
    async with embedded(state) as system:
        published, seconds = await run_log(system, log, console)
        started = time.perf_counter()
        with console.status("a duplicate, a late fact and a malformed message …"):
            absorbed = await hiccups(system, log)
        seconds["hiccups"] = time.perf_counter() - started
        final = counts(system.services)
        event_log, _ = write_log(system, state)
    return published, seconds, final, absorbed, event_log


Ran = tuple[int, dict[str, float], dict[str, AgentCounts], Hiccups | None, Path]
"""What a run returns: facts published, seconds per phase, each agent's counters, the hiccups
absorbed, the event log."""


def demo(
    seed: int,
    clients: int,
    months: int,
    technicians: int | None,
    out: Path,
    state: Path,
    console: Console,
    *,
    kafka: str | None = None,
    database_url: str | None = None,
) -> Outcome:
    """The whole demo; returns what it wrote (the tests call this with a tiny scenario). With
    ``kafka`` and ``database_url`` the agents run as processes on them instead of in this process."""
    seconds: dict[str, float] = {}
    params = scenario.params_for(seed, clients, months, technicians)
    started = time.perf_counter()
    with console.status(
        f"simulating an MSP: seed {params.seed}, {params.clients} clients, {params.technicians} technicians, "
        f"{params.months} months …"
    ):
        state.mkdir(parents=True, exist_ok=True)
        sim = scenario.simulate(params, state)
    seconds["simulate"] = time.perf_counter() - started
    console.print(f"simulated {sim.events:,} facts ({sim.log}, truth in {sim.truth_path})")
    if kafka is None:
        ran = asyncio.run(_run(sim.log, state, console))
        return _present(sim, params, seconds, ran, sqlite_stores(state), out, state, console)
    if database_url is None:
        raise typer.BadParameter(
            "--kafka needs --database-url (a PostgreSQL server the agents' databases go on)"
        )
    console.print(f"[bold]each agent a process on Kafka {kafka} and PostgreSQL[/bold]")
    with agents_on_kafka(kafka, database_url, state) as ecosystem:
        ran = asyncio.run(run_on_kafka(ecosystem, sim.log, state, console))
        return _present(sim, params, seconds, ran, ecosystem.urls(), out, state, console)


def _present(
    sim: scenario.Scenario,
    params: Params,
    seconds: dict[str, float],
    ran: Ran,
    stores: Stores,
    out: Path,
    state: Path,
    console: Console,
) -> Outcome:
    """Findings from the agents' stores and the event log, scored; the summary, report and briefing."""
    _, run_seconds, final, absorbed, event_log = ran
    seconds = seconds | run_seconds
    started = time.perf_counter()
    with console.status("reading the agents' findings and scoring them against the truth …"):
        months_run = months_between(params.start, params.end)
        findings = collect(stores, event_log, months_run, params.currency)
        _, _, envelopes = read_event_log(event_log)
        outputs = [e for e in envelopes if e.source.startswith("msp.")]
        scores = scoring.score_all(sim.truth_path, sim.log, stores, outputs, findings.renewals_due)
    seconds["findings"] = time.perf_counter() - started
    data = summary.build(sim, findings, scores, final, absorbed)
    summary_path = out / "summary.json"
    summary.write(data, summary_path)
    total = sum(seconds.values())
    run_info = (
        f"Simulated MSP: seed {params.seed}, {params.clients} clients, {params.technicians} technicians, "
        f"{params.months} months from {params.start}; {data['events']['total']:,} events "
        f"({data['events']['derived']:,} derived by the agents); the run took {total:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())})"
    )
    page = report.render(findings, scores, state, "MSP agent ecosystem: demo report", run_info)
    report_path = out / "report.html"
    report.write(page, report_path)
    briefing.show(console, findings, scores, final, absorbed, out, state)
    console.print(f"[dim]{run_info}[/dim]")
    return Outcome(data, report_path, summary_path, seconds)


@app.command()
def main_command(
    seed: Annotated[
        int, typer.Option(help="simulator seed (same seed and size: same facts)")
    ] = scenario.DEFAULT_SEED,
    clients: Annotated[int, typer.Option(help="clients of the simulated MSP")] = scenario.DEFAULT_CLIENTS,
    months: Annotated[int, typer.Option(help="months simulated")] = scenario.DEFAULT_MONTHS,
    technicians: Annotated[
        int | None, typer.Option(help="technicians (default: one per 5 clients, the simulator's ratio)")
    ] = None,
    out: Annotated[Path, typer.Option(help="where report.html and summary.json go")] = Path("out/demo"),
    state: Annotated[
        Path, typer.Option(help="the agents' SQLite files, the simulated log and events.jsonl")
    ] = Path(".demo"),
    kafka: Annotated[
        str | None,
        typer.Option(help="HOST:PORT of a Kafka cluster: run each agent as its own process on it"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="with --kafka: a PostgreSQL URL whose role may CREATE DATABASE (one per agent)"),
    ] = None,
) -> None:
    """Simulate an MSP, run the six agents on it (in this process, or as processes on Kafka and
    PostgreSQL), print a briefing, write a report."""
    logging.basicConfig(level=logging.ERROR)
    # the malformed message is sent on purpose: the briefing reports its dead letter
    logging.getLogger("msp_events.runtime.pump").setLevel(logging.CRITICAL)
    if (kafka is None) != (database_url is None):
        raise typer.BadParameter(
            "give --kafka and --database-url together (or neither: the embedded default)"
        )
    demo(seed, clients, months, technicians, out, state, Console(), kafka=kafka, database_url=database_url)


def main() -> None:
    app()
