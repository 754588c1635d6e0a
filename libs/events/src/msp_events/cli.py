"""``msp-events``: topic provisioning, schema snapshots, the event catalog and AsyncAPI documents.

Everything here is derived from the registry, so running it after adding or changing a type brings
topics, snapshots and docs back in line; ``--check`` variants fail CI when they are not.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from msp_events import schemas
from msp_events.asyncapi import service_document
from msp_events.catalog import render_catalog
from msp_events.registry import REGISTRY, SERVICES
from msp_events.runtime.kafka import ensure_topics
from msp_events.runtime.settings import KafkaSettings

app = typer.Typer(help=__doc__, no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics derived from the registry", no_args_is_help=True)
schemas_app = typer.Typer(help="JSON Schema snapshots and the compatibility gate", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
console = Console()
REPO = Path(__file__).resolve().parents[4]


@topics_app.command("plan")
def topics_plan() -> None:
    """List every topic the registry needs, with partitions."""
    table = Table("topic", "partitions", "kind")
    for topic, partitions in sorted(REGISTRY.partitions_by_topic().items()):
        kind = "events"
        if topic.startswith(("dlt.", "redrive.")):
            kind = "dead letters" if topic.startswith("dlt.") else "redrive"
        table.add_row(topic, str(partitions), kind)
    console.print(table)


@topics_app.command("apply")
def topics_apply(
    bootstrap_servers: str = typer.Option(
        None, envvar="KAFKA_BOOTSTRAP_SERVERS", help="host:port[,host:port]"
    ),
) -> None:
    """Create the missing topics (idempotent)."""
    settings = KafkaSettings(bootstrap_servers=bootstrap_servers) if bootstrap_servers else KafkaSettings()
    wanted = REGISTRY.partitions_by_topic()
    created = asyncio.run(ensure_topics(settings, wanted))
    console.print(
        f"{len(created)} topics created, {len(wanted) - len(created)} already existed "
        f"on {settings.bootstrap_servers}"
    )


@schemas_app.command("export")
def schemas_export() -> None:
    """Write snapshots for the current version of every type."""
    written = schemas.export()
    for path in written:
        console.print(f"wrote {path.relative_to(REPO)}")
    console.print(f"{len(written)} snapshots written, {len(REGISTRY)} types")


@schemas_app.command("check")
def schemas_check() -> None:
    """Fail when a schema changed incompatibly or without a version bump."""
    problems = schemas.check()
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] {len(REGISTRY)} event schemas match their snapshots")


@app.command("catalog")
def catalog(check: bool = typer.Option(False, help="fail if the generated files are out of date")) -> None:
    """Generate docs/events.md and docs/asyncapi/<service>.yaml."""
    outputs = {REPO / "docs" / "events.md": render_catalog()}
    for service in SERVICES:
        outputs[REPO / "docs" / "asyncapi" / f"{service}.yaml"] = service_document(service)
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
    if check:
        for path in stale:
            console.print(f"[red]✗[/red] {path.relative_to(REPO)} is out of date: run `msp-events catalog`")
        if stale:
            raise typer.Exit(1)
        console.print(f"[green]✓[/green] catalog and {len(SERVICES)} AsyncAPI documents are up to date")
        return
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path])
        console.print(f"wrote {path.relative_to(REPO)}")


def _period(text: str) -> timedelta:
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise typer.BadParameter(f"{text!r} is not a period: use a whole number and s, m, h or d, e.g. 1h")
    return timedelta(**{units[unit]: int(number)})


@app.command("clock")
def clock_command(
    period: str = typer.Option("1h", help="tick period: 30s, 5m, 1h, 1d; ticks fall on its boundaries (UTC)"),
    once: bool = typer.Option(False, help="publish the current tick and exit (a CronJob's run)"),
    bootstrap_servers: str = typer.Option(
        None, envvar="KAFKA_BOOTSTRAP_SERVERS", help="host:port[,host:port]"
    ),
) -> None:
    """Publish clock.ticked: the platform's "now" (see msp_events/clock.py). Safe to run twice."""
    from msp_events import clock
    from msp_events.runtime.kafka import KafkaTransport

    every = _period(period)
    settings = KafkaSettings(bootstrap_servers=bootstrap_servers) if bootstrap_servers else KafkaSettings()

    async def go() -> None:
        producer = KafkaTransport(settings, client_id="msp-clock").producer()
        await producer.start()
        try:
            if once:
                sent = await clock.publish_tick(producer, datetime.now(UTC), every)
                console.print(f"clock.ticked {sent.data.now.isoformat()} (id {sent.id})")
            else:
                console.print(f"publishing clock.ticked every {period} to {settings.bootstrap_servers}")
                await clock.run(producer, every)
        finally:
            await producer.stop()

    asyncio.run(go())


@app.command("bridge")
def bridge_command(
    once: bool = typer.Option(False, help="bridge what is on the topics now and exit"),
) -> None:
    """Fan the agents' events out to EventBridge (EVENTBRIDGE_BUS_NAME; see msp_events/aws/bridge.py)."""
    import signal

    from msp_events.aws.bridge import CONSUMER, BridgeSettings, EventBridgeBridge, events_client
    from msp_events.runtime.kafka import KafkaTransport

    settings = BridgeSettings()
    if not settings.bus_name:
        console.print("[red]✗[/red] EVENTBRIDGE_BUS_NAME is not set: the bridge is off")
        raise typer.Exit(2)
    transport = KafkaTransport(KafkaSettings(), client_id="msp-eventbridge")

    async def go() -> None:
        await transport.ensure_topics(EventBridgeBridge.dead_letter_topics(settings))
        consumer = transport.consumer(CONSUMER, EventBridgeBridge.topics(settings))
        producer = transport.producer()
        await consumer.start()
        await producer.start()
        try:
            bridge = EventBridgeBridge(consumer, producer, events_client(settings), settings)
            if once:
                put = 0
                while True:  # until the group has its partitions and nothing is left behind them
                    outcome = await bridge.run_once(timeout_s=5.0)
                    put += outcome.put if outcome else 0
                    if outcome is None and consumer.assignment() and not any((await consumer.lag()).values()):
                        break
                console.print(f"{put} events put on {settings.bus_name}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"bridging {len(settings.types)} event types to {settings.bus_name}")
            beat = Path(settings.heartbeat_file) if settings.heartbeat_file else None
            await bridge.run(stop, heartbeat=beat.touch if beat else None)
        finally:
            await consumer.stop()
            await producer.stop()

    asyncio.run(go())


@app.command("heartbeat")
def heartbeat_command(
    file: Path = typer.Option(..., help="the file a long-running loop touches once per cycle"),
    max_age_s: float = typer.Option(120.0, help="older than this (or missing) means stuck"),
) -> None:
    """Exit 0 when FILE was touched within MAX_AGE_S (a liveness probe for loops without HTTP)."""
    import time

    try:
        age = time.time() - file.stat().st_mtime
    except FileNotFoundError:
        console.print(f"[red]✗[/red] {file} does not exist: the loop has not completed a cycle yet")
        raise typer.Exit(1) from None
    if age > max_age_s:
        console.print(f"[red]✗[/red] {file} last touched {age:.0f} s ago (limit {max_age_s:.0f} s)")
        raise typer.Exit(1)
    console.print(f"alive: {file} touched {age:.0f} s ago")


lake_app = typer.Typer(help="The data lake: events as Parquet, locally or on S3", no_args_is_help=True)
app.add_typer(lake_app, name="lake")


@lake_app.command("export")
def lake_export() -> None:
    """Export new events (LAKE_DIR, or LAKE_S3_BUCKET) as Parquet; safe to re-run (see aws/lake.py)."""
    from msp_events.aws.lake import KafkaSource, LakeSettings, export, store_from

    settings = LakeSettings()
    store = store_from(settings)
    where = f"s3://{settings.s3_bucket}/{settings.s3_prefix}" if settings.s3_bucket else str(settings.dir)

    async def go() -> None:
        async with KafkaSource(KafkaSettings()) as source:
            report = await export(source, store, chunk_records=settings.chunk_records)
        console.print(
            f"{report.rows} events in {report.files} files ({report.chunks} chunks), "
            f"{report.summaries} daily summaries, {report.undecodable} undecodable skipped, to {where}"
        )

    asyncio.run(go())


@app.command("iam")
def iam_command(
    cluster_arn: str = typer.Option(
        ..., help="the MSK cluster: arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID"
    ),
    service: list[str] = typer.Option(
        None,
        "--service",
        "-s",
        help="an agent, topics, clock, eventbridge or lake (repeatable; default: all)",
    ),
    topic_prefix: str = typer.Option("", envvar="KAFKA_TOPIC_PREFIX", help="the environment's topic prefix"),
    event_bus_arn: str | None = typer.Option(None, help="the bridge's EventBridge bus (adds eventbridge)"),
    lake_bucket: str | None = typer.Option(None, help="the data lake's bucket (adds lake)"),
    lake_prefix: str = typer.Option("", help="the lake's key prefix in the bucket, e.g. prod/"),
    bedrock_model: list[str] = typer.Option(None, help="Bedrock model or inference profile id (repeatable)"),
    bedrock_service: list[str] = typer.Option(None, help="agents that may invoke them (default: spo)"),
    out: Path | None = typer.Option(None, help="write <identity>.json files here instead of printing"),
) -> None:
    """Least-privilege IAM policy per service, from the registry (see msp_events/aws/iam.py)."""
    import json

    from msp_events.aws.iam import IDENTITIES, PolicyOptions, policies

    unknown = sorted(set(service or ()) - set(IDENTITIES))
    if unknown:
        raise typer.BadParameter(f"unknown {unknown}; one of {', '.join(IDENTITIES)}", param_hint="--service")
    options = PolicyOptions(
        cluster_arn=cluster_arn,
        topic_prefix=topic_prefix,
        event_bus_arn=event_bus_arn,
        lake_bucket=lake_bucket,
        lake_prefix=lake_prefix,
        bedrock_models=list(bedrock_model or ()),
        bedrock_services=tuple(bedrock_service or ("spo",)),
    )
    try:
        documents = policies(options, tuple(service) if service else None)
    except ValueError as exc:
        console.print(f"[red]✗[/red] {exc}")
        raise typer.Exit(2) from None
    if out is None:
        print(json.dumps(documents, indent=2, sort_keys=False))
        return
    out.mkdir(parents=True, exist_ok=True)
    for identity, document in documents.items():
        (out / f"{identity}.json").write_text(json.dumps(document, indent=2) + "\n")
        console.print(f"wrote {out / f'{identity}.json'}")


def main() -> None:
    app()
