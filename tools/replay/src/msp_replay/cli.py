"""``msp-replay``: capture, play, redrive and diff event logs (see tools/replay/README.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from msp_events import eventlog
from msp_events.runtime.settings import KafkaSettings
from msp_events.testing.replay import diff_events, read_documents

from msp_replay import capture as capture_mod
from msp_replay import play as play_mod
from msp_replay import redrive as redrive_mod
from msp_replay.filters import FilterError, Where, parse_time, resolve_topics, to_ms
from msp_replay.reader import Range, ReadError
from msp_replay.targets import TargetError, kafka_settings

app = typer.Typer(
    help="Capture, play, redrive and diff event logs on Kafka or the embedded bus.", no_args_is_help=True
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

KAFKA_HELP = "kafka://HOST:PORT (default: KAFKA_BOOTSTRAP_SERVERS and the other KAFKA_* variables)"
PREFIX_HELP = "topic prefix of the environment (default: KAFKA_TOPIC_PREFIX)"
REFUSALS_SHOWN = 20
WHERE_HELP = "FIELD=GLOB or FIELD!=GLOB on type, subject, source, id…; repeatable"


def _print_table(table: Table) -> None:
    """Whole rows even when the output is not a terminal (rich would squeeze them into 80 columns)."""
    target = console if console.is_terminal else Console(file=console.file, width=240, highlight=False)
    target.print(table)


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _kafka(url: str | None, prefix: str | None) -> KafkaSettings:
    if url:
        settings = kafka_settings(url if url.startswith("kafka://") else f"kafka://{url}")
    else:
        settings = KafkaSettings()
    if prefix is not None:
        settings = settings.model_copy(update={"topic_prefix": prefix})
    return settings


@contextmanager
def _progress(
    label: str, total: int | None = None
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """(set_total, advance) for a progress bar on stderr."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def set_total(n: int) -> None:
            bar.update(task, total=n)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield set_total, advance


def _window(since: str | None, until: str | None, from_offset: int | None, until_offset: int | None) -> Range:
    return Range(
        since_ms=to_ms(parse_time(since)) if since else None,
        until_ms=to_ms(parse_time(until)) if until else None,
        from_offset=from_offset,
        until_offset=until_offset,
    )


# -- capture ----------------------------------------------------------------------------------------


@app.command()
def capture(
    names: list[str] = typer.Argument(None, help="event types or topic names"),
    out: Path = typer.Option(..., "--out", "-o", help="the JSONL log to write"),
    every: bool = typer.Option(False, "--all", help="every event topic of the registry"),
    kafka: str | None = typer.Option(None, "--kafka", help=KAFKA_HELP),
    prefix: str | None = typer.Option(None, "--prefix", help=PREFIX_HELP),
    since: str | None = typer.Option(None, help="from this Kafka timestamp (ISO 8601, now, -2h), inclusive"),
    until: str | None = typer.Option(None, help="up to this Kafka timestamp, exclusive"),
    from_offset: int | None = typer.Option(None, min=0, help="from this offset in every partition"),
    until_offset: int | None = typer.Option(None, min=0, help="up to this offset (exclusive)"),
    where: list[str] = typer.Option(None, "--where", "-w", help=WHERE_HELP),
    raw_errors: Path | None = typer.Option(None, help="write undecodable records here (JSONL)"),
    strict: bool = typer.Option(False, help="exit 1 when a record does not decode"),
) -> None:
    """Read topics between two times or offsets (no consumer group) into an event log."""
    try:
        topics = resolve_topics(names or [], every=every)
        window = _window(since, until, from_offset, until_offset)
        settings = _kafka(kafka, prefix)
        filters = Where.parse(where)
    except (FilterError, TargetError) as exc:
        raise _fail(str(exc)) from None
    with _progress("capturing") as (set_total, advance):
        try:
            report = asyncio.run(
                capture_mod.capture(
                    settings,
                    topics,
                    out,
                    window=window,
                    where=filters,
                    raw_errors=raw_errors,
                    skip_missing=every,
                    on_total=set_total,
                    progress=advance,
                )
            )
        except ReadError as exc:
            raise _fail(str(exc)) from None
    console.print(
        f"{report.written} events written to {out} from {len(topics) - len(report.missing_topics)} topics "
        f"({report.read} records read, {report.outside_window} outside the time range, "
        f"{report.filtered_out} not matching {escape(filters.describe())})"
    )
    if report.missing_topics:
        console.print(f"{len(report.missing_topics)} registry topics do not exist there (skipped)")
    if report.undecodable:
        reasons = ", ".join(f"{n} {reason}" for reason, n in report.errors.most_common())
        errors.print(f"[yellow]{report.undecodable} records did not decode[/yellow] ({reasons}):")
        for line in report.first_errors:
            errors.print(f"  {escape(line)}")
        if raw_errors is not None:
            errors.print(f"  all of them are in {raw_errors}")
        else:
            errors.print("  --raw-errors FILE keeps them as they were")
        if strict:
            raise typer.Exit(1)


# -- play ---------------------------------------------------------------------------------------------


def _summary_table(summary: play_mod.LogSummary) -> Table:
    table = Table("type", "topic", "events", "first", "last")
    for t, topic, n, first, last in summary.rows():
        table.add_row(t, topic, str(n), first, last)
    return table


@app.command()
def play(
    log: Path = typer.Argument(..., exists=True, dir_okay=False, help="a JSONL event log"),
    to: str = typer.Option("embedded", "--to", help="kafka://HOST:PORT or embedded[:DIR]"),
    rate: float | None = typer.Option(None, help="at most this many events per second"),
    speed: float | None = typer.Option(
        None, help="event-time seconds per wall second (3600: an hour a second)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and summarise, publish nothing"),
    where: list[str] = typer.Option(None, "--where", "-w", help=WHERE_HELP),
    prefix: str | None = typer.Option(None, "--prefix", help="Kafka only: " + PREFIX_HELP),
) -> None:
    """Publish a log with its original ids (a second play is a no-op for the idempotent agents)."""
    try:
        filters = Where.parse(where)
        pacing = eventlog.Pacing(speed=speed, rate=rate)
    except (FilterError, ValueError) as exc:
        raise _fail(str(exc)) from None
    summary = play_mod.summarise(log, filters)
    if summary.invalid:
        for line in summary.errors:
            errors.print(f"[red]✗[/red] {escape(line)}")
        more = summary.invalid - len(summary.errors)
        if more > 0:
            errors.print(f"… and {more} more")
        raise _fail(f"{summary.invalid} of {summary.lines} lines are not valid events; nothing published", 1)
    if dry_run:
        _print_table(_summary_table(summary))
        span = (
            f"{summary.start.isoformat()} → {summary.end.isoformat()}"
            if summary.start and summary.end
            else "empty"
        )
        console.print(
            f"{summary.events} events valid, {summary.filtered_out} not matching "
            f"{escape(filters.describe())}; event time {span}; dry run: nothing published"
        )
        return
    with _progress(f"publishing to {to}", summary.events) as (_, advance):
        try:
            report = asyncio.run(
                play_mod.play(
                    log,
                    to,
                    where=filters,
                    pacing=pacing,
                    topic_prefix=prefix,
                    topics=summary.topics(),
                    progress=advance,
                )
            )
        except TargetError as exc:
            raise _fail(str(exc)) from None
    console.print(f"{report.published} events published to {to}")
    if report.agents_published:
        table = Table("agent event type", "published")
        for t, n in sorted(report.agents_published.items()):
            table.add_row(t, str(n))
        _print_table(table)


# -- redrive ----------------------------------------------------------------------------------------


@app.command()
def redrive(
    consumer: str = typer.Argument(..., help="the agent whose dead letters to redrive (cpi, spo, …)"),
    names: list[str] = typer.Argument(None, help="event types, input or dead-letter topics (default: all)"),
    kafka: str | None = typer.Option(None, "--kafka", help=KAFKA_HELP),
    prefix: str | None = typer.Option(None, "--prefix", help=PREFIX_HELP),
    where: list[str] = typer.Option(None, "--where", "-w", help=WHERE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="count what would be redriven, publish nothing"),
    from_beginning: bool = typer.Option(False, help="ignore what earlier runs committed"),
    from_offset: int | None = typer.Option(None, min=0, help="from this offset of every DLT partition"),
    until_offset: int | None = typer.Option(None, min=0, help="up to this offset (exclusive)"),
) -> None:
    """Move a consumer's dead letters to its own redrive topics after a fix (only it reads them)."""
    try:
        filters = Where.parse(where)
        settings = _kafka(kafka, prefix)
        topics = redrive_mod.input_topics(consumer, names or [])
    except (FilterError, TargetError) as exc:
        raise _fail(str(exc)) from None
    with _progress(f"redriving {consumer}") as (set_total, advance):
        try:
            report = asyncio.run(
                redrive_mod.redrive(
                    settings,
                    consumer,
                    topics,
                    window=Range(from_offset=from_offset, until_offset=until_offset),
                    from_beginning=from_beginning,
                    where=filters,
                    dry_run=dry_run,
                    on_total=set_total,
                    progress=advance,
                )
            )
        except ReadError as exc:
            raise _fail(str(exc)) from None
    if report.by_type_reason:
        table = Table("to", "type", "dead-letter reason", "messages")
        for (topic, t, reason), n in sorted(report.by_type_reason.items()):
            table.add_row(f"redrive.{consumer}.{topic}", t, reason, str(n))
        _print_table(table)
    verb = "would be redriven (dry run)" if dry_run else "redriven"
    console.print(
        f"{report.redriven} dead letters of {consumer} {verb}; {report.read} read, "
        f"{report.filtered_out} not matching {escape(filters.describe())}"
        + (f", {len(report.refused_truncated)} truncated refused" if report.refused_truncated else "")
    )
    if report.missing_topics:
        console.print(f"no dead-letter topic yet (skipped): {', '.join(report.missing_topics)}")
    if report.committed:
        console.print(
            f"position committed in group {redrive_mod.group_for(consumer)}: a rerun starts after it"
        )
    elif not dry_run and filters:
        console.print("--where given: position not committed, the rest stays for a later run")
    if report.refused_truncated:
        # Last, and an error exit: the run did all it could, but these need an operator.
        shown = report.refused_truncated[:REFUSALS_SHOWN]
        for cut in shown:
            errors.print(f"[yellow]refused:[/yellow] {escape(cut.describe())}")
        if len(report.refused_truncated) > len(shown):
            errors.print(f"... and {len(report.refused_truncated) - len(shown)} more")
        raise _fail(
            f"{len(report.refused_truncated)} truncated dead letters of {consumer} refused (their value "
            "was cut to fit the dead-letter topic, so it is not the event); the rest was handled as "
            "reported above",
            code=1,
        )


# -- diff ---------------------------------------------------------------------------------------------


@app.command()
def diff(
    left: Path = typer.Argument(..., exists=True, dir_okay=False, help="expected (e.g. the golden log)"),
    right: Path = typer.Argument(..., exists=True, dir_okay=False, help="actual (e.g. the current run)"),
    ignore: list[str] = typer.Option(
        None, "--ignore", "-i", help="field path to leave out (id, time, data.x)"
    ),
    by: str = typer.Option("key", "--by", help="match events by 'key' (type, subject, occurrence) or 'id'"),
    limit: int = typer.Option(50, help="show at most this many differences"),
) -> None:
    """Compare two logs; exit 1 when they differ, 0 when equal."""
    if by not in ("key", "id"):
        raise _fail("--by is 'key' (type, subject, order of occurrence) or 'id'")
    try:
        documents: list[list[dict[str, Any]]] = [read_documents(left), read_documents(right)]
        result = diff_events(documents[0], documents[1], ignore=ignore or [], match=by)  # type: ignore[arg-type]
    except (eventlog.LogError, ValueError) as exc:
        raise _fail(str(exc)) from None
    names = (left.name, right.name) if left.name != right.name else (str(left), str(right))
    console.print(escape(result.render(left_name=names[0], right_name=names[1], limit=limit)))
    if not result.is_equal:
        raise typer.Exit(1)


def main() -> None:
    app()
