"""``msp-ingest``: turn what MSPs export into a fact-event log, with a report of every rejected row.

    msp-ingest kinds
    msp-ingest run connectwise.companies companies.csv --out facts.jsonl --report rejected.csv
    msp-replay play facts.jsonl --to kafka://127.0.0.1:9092

The exit code is 0 when every row became events, 2 when some rows were rejected (the events of the
good rows are still written), 1 when nothing could be imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from msp_ingest import importer
from msp_ingest.kinds import ALL
from msp_ingest.options import Options

app = typer.Typer(
    help="Import MSP exports (PSA, licences, finance, cloud costs, contracts) as fact events.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.command("kinds")
def kinds() -> None:
    """List the export formats and what each expects."""
    table = Table("kind", "input", "what it reads")
    for kind in sorted(ALL.values(), key=lambda k: k.name):
        table.add_row(kind.name, kind.takes, kind.description)
    Console().print(table)


def _files(kind_takes: str, inputs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in inputs:
        if not path.exists():
            raise typer.BadParameter(f"{path} does not exist")
        if path.is_dir():
            if kind_takes != "folder":
                raise typer.BadParameter(f"{path} is a folder; this kind reads files")
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def _extra(values: list[str]) -> dict[str, str]:
    extra = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--set {value!r}: use name=value")
        extra[name] = setting
    return extra


@app.command("run")
def run(
    kind: Annotated[str, typer.Argument(help="export format; see `msp-ingest kinds`")],
    inputs: Annotated[list[Path], typer.Argument(help="export files (or a folder of documents)")],
    out: Annotated[Path, typer.Option("--out", help="event log to write (JSONL)")],
    report: Annotated[
        Path | None, typer.Option("--report", help="CSV of rejected rows (default: OUT.rejected.csv)")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="currency when the export has no currency column")
    ] = None,
    client: Annotated[str | None, typer.Option(help="PSA client id of a per-tenant export")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="mapping setting name=value")] = None,
) -> None:
    """Import INPUTS of KIND into an event log; rejected rows go to the report with line and reason."""
    if kind not in ALL:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; `msp-ingest kinds` lists them: {', '.join(sorted(ALL))}"
        )
    spec = ALL[kind]
    options = Options(
        currency=currency.upper() if currency else None, client_id=client, extra=_extra(set_ or [])
    )
    mapping = spec.build(options)
    files = _files(spec.takes, inputs)
    with Progress(
        TextColumn("reading {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(kind, total=None)
        result = importer.run(mapping, files, progress=lambda n: progress.advance(task, n))
    importer.write(result, out)
    report_path = report or out.with_name(out.name + ".rejected.csv")
    if result.report.rejections:
        result.report.write_csv(report_path)
    elif report_path.exists():
        report_path.unlink()
    result.report.render(console, report_path=report_path if result.report.rejections else None)
    console.print(f"wrote {len(result.envelopes)} events to {out}")
    if not result.envelopes and result.report.rejections:
        raise typer.Exit(1)
    if result.report.rejections:
        raise typer.Exit(2)


def main() -> None:
    app()
