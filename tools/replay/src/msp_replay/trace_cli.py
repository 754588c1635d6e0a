"""``msp-trace EVENT_ID``: the chain from the facts to one outcome, as a tree or as JSON."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY

from msp_replay.capture import capture
from msp_replay.reader import ReadError
from msp_replay.targets import TargetError, kafka_settings
from msp_replay.trace import Trace, TraceError, TraceNode, trace

EMBEDDED_LOG = "events.jsonl"
"""What the embedded system writes in its state folder (``make demo``: ``.demo/events.jsonl``)."""

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)
app = typer.Typer(add_completion=False)


def load(source: str) -> list[Envelope[Any]]:
    """Every event of ``source``: ``kafka://HOST:PORT``, ``embedded:DIR`` or a ``.jsonl`` event log."""
    if source.startswith("kafka://"):
        settings = kafka_settings(source)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "trace.jsonl"
            asyncio.run(capture(settings, [spec.type for spec in REGISTRY], out, skip_missing=True))
            return list(eventlog.read(out))
    if source.startswith("embedded:"):
        folder = Path(source.removeprefix("embedded:"))
        path = folder / EMBEDDED_LOG
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist: run `make demo` (it writes {EMBEDDED_LOG} there)"
            )
        return list(eventlog.read(path))
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (give kafka://HOST:PORT, embedded:DIR or FILE.jsonl)")
    return list(eventlog.read(path))


def label(node: TraceNode) -> str:
    envelope = node.envelope
    figures = ", ".join(f"{k}={v}" for k, v in node.figures().items())
    text = f"{escape(envelope.type)} · {envelope.time:%Y-%m-%d %H:%M} · {escape(node.agent)}" + (
        f" · {escape(figures)}" if figures else ""
    )
    if node.target:
        return f"[bold yellow]▶ {text}[/bold yellow]  [dim]{envelope.id}[/dim]"
    return f"[bold]{text}[/bold]" if node.on_path else f"[dim]{text}[/dim]"


def render(result: Trace) -> Tree:
    def grow(branch: Tree, node: TraceNode) -> None:
        for child in node.children:
            grow(branch.add(label(child)), child)
        if node.other_effects:
            branch.add(f"[dim]… and {node.other_effects} other events caused by this one (--full)[/dim]")

    root = Tree(label(result.root))
    grow(root, result.root)
    return root


@app.command()
def main(
    event_id: str = typer.Argument(..., help="the id of the outcome to explain"),
    source: str = typer.Option(
        "embedded:.demo",
        "--from",
        help="kafka://HOST:PORT, embedded:DIR or FILE.jsonl (default: the demo's log)",
    ),
    output: str = typer.Option("tree", "--format", help="tree (for people) or json (for tools)"),
    full: bool = typer.Option(False, help="expand every effect of every step, not only the path"),
) -> None:
    """Print the chain from the facts to EVENT_ID: type, time, agent and key figures of each step."""
    if output not in ("tree", "json"):
        errors.print(f"[red]error:[/red] --format must be tree or json, not {escape(output)!r}")
        raise typer.Exit(2)
    try:
        events = load(source)
        result = trace(events, event_id, full=full)
    except (FileNotFoundError, TraceError, ReadError, TargetError, eventlog.LogError) as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))} ({escape(source)})")
        raise typer.Exit(2) from None
    if output == "json":
        console.print_json(json.dumps(result.as_dict()))
        return
    wide = console if console.is_terminal else Console(file=console.file, width=400, highlight=False)
    wide.print(render(result))  # whole lines when piped: rich would crop a tree to 80 columns
    steps = (
        "a fact"
        if result.depth == 0
        else f"{result.depth} step{'s' if result.depth > 1 else ''} from its fact"
    )
    console.print(f"[dim]{result.target_id} is {steps}.[/dim]")
    if result.missing_cause:
        console.print(
            f"[yellow]The first event shown was caused by {escape(result.missing_cause)}, which is not in "
            "this log (it starts later, or that event was lost).[/yellow]"
        )


def run() -> None:
    app()
