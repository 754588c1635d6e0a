"""``msp-ecosystem run``: a simulated MSP through the six agents as processes on Kafka + PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from msp_ecosystem.runner import Scenario, run

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()


@app.callback()
def _root() -> None:
    """Run the agents as separate processes on a real Kafka cluster and PostgreSQL server."""


@app.command("run")
def run_command(
    kafka: Annotated[str, typer.Option("--kafka", help="bootstrap servers, HOST:PORT")],
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            help="a PostgreSQL URL whose role may CREATE DATABASE: one database per agent is made on it",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="directory: events.jsonl, agents/<agent>.log")],
    seed: int = 1,
    clients: Annotated[int, typer.Option(min=1)] = 40,
    technicians: Annotated[int, typer.Option(min=1)] = 8,
    months: Annotated[int, typer.Option(min=1)] = 12,
    pace: Annotated[
        str, typer.Option(help="day: each simulated day settled before the next; backlog: all at once")
    ] = "day",
    log: Annotated[
        Path | None, typer.Option("--log", help="an event log to play instead of a simulated MSP")
    ] = None,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="seconds to wait for the agents to settle")
    ] = 1800,
    keep_databases: bool = False,
) -> None:
    """Play a log (default: a simulated MSP) into the agents, wait until they settle, capture every event."""
    if pace not in ("day", "backlog"):
        raise typer.BadParameter("--pace is day or backlog")
    scenario = Scenario(seed, clients, technicians, months, pace="day" if pace == "day" else "backlog")
    phases = [log] if log is not None else scenario.phases(out)
    outcome = asyncio.run(
        run(kafka, database_url, phases, out, timeout_s=timeout_s, keep_databases=keep_databases)
    )
    table = Table(title=f"derived events ({outcome.settle_s:.1f} s to settle)")
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_name, n in sorted(Counter(e.type for e in outcome.derived).items()):
        table.add_row(type_name, str(n))
    console.print(table)
    console.print(f"{len(outcome.events)} events in {outcome.log}")


def main() -> None:
    app()
