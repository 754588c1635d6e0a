"""``msp-sim``: generate a simulated MSP's event log, or publish one to Kafka or the embedded agents."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from msp_sim.generate import generate as run_generate
from msp_sim.params import Params

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
err = Console(stderr=True)


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
    )


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", help="event log to write (JSONL); truth goes to FILE.truth.json")
    ],
    seed: Annotated[int, typer.Option(help="same seed, same bytes")] = 1,
    clients: Annotated[int, typer.Option(min=1)] = 40,
    technicians: Annotated[int, typer.Option(min=1)] = 8,
    months: Annotated[int, typer.Option(min=1)] = 12,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="first day (moved to the 1st)")
    ] = datetime(2025, 1, 1),
) -> None:
    """Write a time-ordered CloudEvents log of a plausible MSP, with planted problems and their truth."""
    params = Params(
        seed=seed,
        clients=clients,
        technicians=technicians,
        months=months,
        start=date(start.year, start.month, start.day),
    )
    with _bar() as bar:
        task = bar.add_task("generating", total=months, detail="")

        def progress(done: int, total: int, events: int) -> None:
            bar.update(task, completed=done, detail=f"{events:,} events")

        stats = run_generate(params, out, progress=progress)
    err.print(
        f"wrote {stats.events:,} events ({stats.bytes / 1e6:.1f} MB) to {out}"
        f" and the truth to {stats.truth_path}"
    )


async def _publish(log: Path, to: str, speed: float | None, rate: float | None) -> tuple[int, dict[str, int]]:
    from msp_events import eventlog

    from msp_replay.targets import open_target

    total = eventlog.count(log)
    with _bar() as bar:
        task = bar.add_task("publishing", total=total, detail=to)
        async with open_target(to) as target:
            sent = await eventlog.publish(
                eventlog.read(log),
                target.producer,
                eventlog.Pacing(speed=speed, rate=rate),
                progress=lambda n: bar.advance(task, n),
            )
            if target.system is not None:
                bar.update(task, detail="waiting for the agents to settle")
                await target.settle()
            return sent, dict(target.published_by_agents())


@app.command()
def publish(
    log: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="event log (JSONL) to publish")],
    to: Annotated[str, typer.Option("--to", help="kafka://HOST:PORT or embedded[:DIR]")],
    speed: Annotated[float | None, typer.Option(help="event-time seconds per wall second")] = None,
    rate: Annotated[float | None, typer.Option(help="at most this many events per second")] = None,
) -> None:
    """Publish a log in event-time order; on ``embedded`` show what the six agents published."""
    sent, counts = asyncio.run(_publish(log, to, speed, rate))
    err.print(f"published {sent:,} events to {to}")
    if to.startswith("embedded"):
        table = Table(title="published by the agents")
        table.add_column("event type")
        table.add_column("events", justify="right")
        for event_type, n in sorted(counts.items()):
            table.add_row(event_type, f"{n:,}")
        if not counts:
            table.add_row("(the agents published nothing)", "0")
        Console().print(table)


def main() -> None:
    app()
