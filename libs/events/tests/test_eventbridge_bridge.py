"""The EventBridge bridge, offline: request sizing, retries of only the refused entries, dead letters,
offsets committed only after success (in-process log + botocore Stubber), delivery to a bus (moto,
read back through an SQS target), and once against the real Kafka broker with moto for EventBridge."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from msp_events.aws.bridge import (
    CONSUMER,
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    BridgeSettings,
    BridgeUnavailable,
    EventBridgeBridge,
    chunks,
    cross_agent_types,
    entry_size,
)
from msp_events.codec.eventbridge import from_delivered_event, to_put_events_entry
from msp_events.envelope import Envelope
from msp_events.eventlog import to_outgoing
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.transport import Outgoing
from msp_events.types.agents import ResourceUtilizationAlert

TOPIC = "resource.utilization.alert"
REGION = "eu-west-1"


def alert(n: int, summary: str = "over the burnout line") -> Envelope[ResourceUtilizationAlert]:
    data = ResourceUtilizationAlert(
        technician_id=f"T-{n:04d}",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        basis="actual",
        kind="over",
        utilisation_pct=Decimal("91.5"),
        target_pct=Decimal("75"),
        threshold_pct=Decimal("85"),
        billable_hours=Decimal("150.5"),
        available_hours=Decimal("164.5"),
        summary=summary,
    )
    return Envelope.build(data, source="msp.agent.ram", time=datetime(2026, 4, 1, tzinfo=UTC) + timedelta(n))


def settings(**kw: Any) -> BridgeSettings:
    return BridgeSettings(bus_name="msp-agents", backoff_s=0.0, **kw)


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def events() -> Iterator[Any]:
    client = boto3.client(
        "events", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )
    yield client


async def started(bus: InProcessBus, s: BridgeSettings, client: Any) -> EventBridgeBridge:
    consumer = bus.consumer(CONSUMER, EventBridgeBridge.topics(s))
    producer = bus.producer()
    await consumer.start()
    await producer.start()
    return EventBridgeBridge(consumer, producer, client, s, sleep=no_sleep)


def ok(n: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": str(uuid.uuid4())} for _ in range(n)]}


# -- sizing ------------------------------------------------------------------------------------------


def test_the_cross_agent_types_are_the_agents_outputs() -> None:
    types = cross_agent_types()
    assert {
        "client.profitability.changed",
        "sales.opportunity.identified",
        "resource.utilization.alert",
        "license.compliance.violation",
        "spend.anomaly.detected",
        "contract.renewal.due",
    } <= set(types)
    assert "clock.ticked" not in types and "psa.time_entry.logged" not in types


def test_entry_size_counts_as_aws_does() -> None:
    entry = to_put_events_entry(alert(1), event_bus_name="msp-agents")
    expected = 14 + len(entry["Source"]) + len(entry["DetailType"]) + len(entry["Detail"].encode())
    assert entry_size(entry) == expected
    assert (
        entry_size({"Source": "s", "DetailType": "é", "Detail": "{}", "Resources": ["arn:x"]})
        == 1 + 2 + 2 + 5
    )


def test_requests_hold_at_most_ten_entries_and_256_kb() -> None:
    assert [len(c) for c in chunks([100] * 25)] == [10, 10, 5]
    big = MAX_REQUEST_BYTES // 3
    groups = chunks([big, big, big, big, 10])
    assert groups == [[0, 1, 2], [3, 4]]
    assert all(sum([big, big, big, big, 10][i] for i in g) <= MAX_REQUEST_BYTES for g in groups)
    assert chunks([MAX_REQUEST_BYTES, 1]) == [[0], [1]]
    with pytest.raises(ValueError, match="PutEvents"):
        chunks([MAX_REQUEST_BYTES + 1])


# -- Stubber: partial failures, dead letters, commits ---------------------------------------------


async def test_only_refused_entries_are_retried_then_offsets_commit(events: Any) -> None:
    bus = InProcessBus(default_partitions=1)
    sent = [alert(n) for n in range(3)]
    await bus.append([to_outgoing(e) for e in sent])
    entries = [to_put_events_entry(e, event_bus_name="msp-agents") for e in sent]
    with Stubber(events) as stub:
        stub.add_response(
            "put_events",
            {
                "FailedEntryCount": 1,
                "Entries": [
                    {"EventId": "a"},
                    {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"},
                    {"EventId": "c"},
                ],
            },
            {"Entries": entries},
        )
        stub.add_response("put_events", ok(1), {"Entries": [entries[1]]})  # only the refused one
        bridge = await started(bus, settings(), events)
        outcome = await bridge.run_once()
        stub.assert_no_pending_responses()
    assert outcome is not None
    assert (outcome.put, outcome.retried, outcome.requests, outcome.dead) == (3, 1, 2, [])
    assert bus.committed(CONSUMER, (TOPIC, 0)) == 3
    assert bus.records(f"dlt.{CONSUMER}.{TOPIC}") == []


async def test_entries_still_refused_after_the_attempts_are_dead_lettered(events: Any) -> None:
    bus = InProcessBus(default_partitions=1)
    sent = [alert(n) for n in range(2)]
    await bus.append([to_outgoing(e) for e in sent])
    refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "try later"}
    with Stubber(events) as stub:
        stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": [{"EventId": "a"}, refused]})
        for _ in range(2):
            stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": [refused]})
        bridge = await started(bus, settings(max_attempts=3), events)
        outcome = await bridge.run_once()
        stub.assert_no_pending_responses()
    assert outcome is not None and outcome.put == 1 and len(outcome.dead) == 1
    [letter] = bus.records(f"dlt.{CONSUMER}.{TOPIC}")
    headers = {k: v.decode() for k, v in letter.headers}
    assert headers["x-dlt-reason"] == "eventbridge-InternalFailure"
    assert headers["x-dlt-detail"] == "try later"
    assert headers["x-dlt-attempts"] == "3"
    assert headers["ce_id"] == sent[1].id
    assert letter.value == bus.records(TOPIC)[1].value  # redriveable: the original event
    assert bus.committed(CONSUMER, (TOPIC, 0)) == 2


async def test_a_failed_call_commits_nothing_and_the_batch_is_read_again(events: Any) -> None:
    bus = InProcessBus(default_partitions=1)
    sent = [alert(n) for n in range(4)]
    await bus.append([to_outgoing(e) for e in sent])
    with Stubber(events) as stub:
        stub.add_client_error("put_events", "ThrottlingException", "Rate exceeded", http_status_code=400)
        stub.add_response("put_events", ok(4), {"Entries": ANY})
        bridge = await started(bus, settings(), events)
        with pytest.raises(BridgeUnavailable, match="Rate exceeded"):
            await bridge.run_once()
        assert bus.committed(CONSUMER, (TOPIC, 0)) == 0
        outcome = await bridge.run_once()  # the same four records, from the rewound position
        stub.assert_no_pending_responses()
    assert outcome is not None and outcome.records == 4 and outcome.put == 4
    assert bus.committed(CONSUMER, (TOPIC, 0)) == 4


async def test_the_loop_beats_once_per_cycle_outages_included(events: Any) -> None:
    bus = InProcessBus(default_partitions=1)
    await bus.append([to_outgoing(alert(n)) for n in range(2)])
    stop = asyncio.Event()
    beats: list[int] = []

    def beat() -> None:
        beats.append(bus.committed(CONSUMER, (TOPIC, 0)) or 0)
        if len(beats) == 2:
            stop.set()

    with Stubber(events) as stub:
        stub.add_client_error("put_events", "ServiceUnavailable", "down", http_status_code=503)
        stub.add_response("put_events", ok(2), {"Entries": ANY})
        bridge = await started(bus, settings(), events)
        await asyncio.wait_for(bridge.run(stop, heartbeat=beat), timeout=10)
        stub.assert_no_pending_responses()
    assert beats == [0, 2]  # the outage cycle beat with nothing committed, the next one after the put


def test_heartbeat_command_fails_when_the_loop_is_stuck_or_never_ran(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from msp_events import cli

    beat = tmp_path / "bridge.alive"
    missing = CliRunner().invoke(cli.app, ["heartbeat", "--file", str(beat)])
    assert missing.exit_code == 1 and "has not completed a cycle" in missing.output
    beat.touch()
    assert CliRunner().invoke(cli.app, ["heartbeat", "--file", str(beat)]).exit_code == 0
    old = beat.stat().st_mtime - 600
    os.utime(beat, (old, old))
    stale = CliRunner().invoke(cli.app, ["heartbeat", "--file", str(beat), "--max-age-s", "120"])
    assert stale.exit_code == 1 and "limit 120 s" in stale.output


async def test_undecodable_and_oversized_records_are_dead_letters_and_the_rest_goes(events: Any) -> None:
    bus = InProcessBus(default_partitions=1)
    good = alert(1)
    huge = alert(2, summary="x" * (MAX_REQUEST_BYTES + 10))
    garbage = Outgoing(topic=TOPIC, key=b"T-9", value=b"not json", headers=[("ce_type", TOPIC.encode())])
    await bus.append([to_outgoing(good), garbage, to_outgoing(huge)])
    with Stubber(events) as stub:
        stub.add_response(
            "put_events", ok(1), {"Entries": [to_put_events_entry(good, event_bus_name="msp-agents")]}
        )
        bridge = await started(bus, settings(), events)
        outcome = await bridge.run_once()
        stub.assert_no_pending_responses()
    assert outcome is not None and outcome.put == 1
    reasons = sorted(dict(r.headers)["x-dlt-reason"].decode() for r in bus.records(f"dlt.{CONSUMER}.{TOPIC}"))
    assert reasons == ["missing-ce-headers", "too-large"]
    assert bus.committed(CONSUMER, (TOPIC, 0)) == 3


def test_without_a_bus_name_there_is_no_bridge() -> None:
    with pytest.raises(ValueError, match="EVENTBRIDGE_BUS_NAME"):
        EventBridgeBridge(None, None, None, BridgeSettings())  # type: ignore[arg-type]


# -- moto: the events arrive on the bus ---------------------------------------------------------------


def bus_with_queue(region: str = REGION) -> tuple[Any, Any, str]:
    """A custom bus with a rule on the bridged detail-types whose target is an SQS queue."""
    events = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    events.create_event_bus(Name="msp-agents")
    queue_url = sqs.create_queue(QueueName="msp-agent-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="agent-events",
        EventBusName="msp-agents",
        EventPattern=json.dumps({"detail-type": cross_agent_types()}),
    )
    events.put_targets(Rule="agent-events", EventBusName="msp-agents", Targets=[{"Id": "q", "Arn": arn}])
    return events, sqs, queue_url


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        out.extend(json.loads(m["Body"]) for m in got)
        for m in got:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


async def test_events_reach_the_bus_and_read_back_as_the_same_envelopes(aws: None) -> None:
    events, sqs, queue_url = bus_with_queue()
    bus = InProcessBus(default_partitions=3)
    sent = [alert(n) for n in range(25)]
    await bus.append([to_outgoing(e) for e in sent])
    bridge = await started(bus, settings(), events)
    total = 0
    while (outcome := await bridge.run_once(timeout_s=0.05)) is not None:
        total += outcome.put
        assert outcome.requests >= -(-outcome.put // MAX_ENTRIES)
    assert total == 25
    delivered = [from_delivered_event(e) for e in drain(sqs, queue_url)]
    assert sorted(e.id for e in delivered) == sorted(e.id for e in sent)
    by_id = {e.id: e for e in sent}
    assert all(d.data == by_id[d.id].data and d.time == by_id[d.id].time for d in delivered)
    assert sum(bus.committed(CONSUMER, (TOPIC, p)) for p in range(3)) == 25


# -- the real broker ---------------------------------------------------------------------------------


@pytest.mark.integration
async def test_bridge_on_kafka_puts_every_event_once_and_commits(aws: None, kafka_bootstrap: str) -> None:
    from msp_events.runtime.kafka import KafkaTransport
    from msp_events.runtime.settings import KafkaSettings

    events, sqs, queue_url = bus_with_queue()
    prefix = f"t{uuid.uuid4().hex[:8]}."
    transport = KafkaTransport(KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix))
    s = settings(types=[TOPIC])
    await transport.ensure_topics({TOPIC: 3, **EventBridgeBridge.dead_letter_topics(s)})
    producer = transport.producer()
    await producer.start()
    sent = [alert(n) for n in range(23)]
    try:
        await producer.send_all([to_outgoing(e) for e in sent])
        consumer = transport.consumer(CONSUMER, EventBridgeBridge.topics(s))
        await consumer.start()
        try:
            bridge = EventBridgeBridge(consumer, producer, events, s, sleep=no_sleep)
            put = 0
            deadline = asyncio.get_running_loop().time() + 60
            while put < len(sent) and asyncio.get_running_loop().time() < deadline:
                outcome = await bridge.run_once(timeout_s=1.0)
                put += outcome.put if outcome else 0
            assert put == len(sent)
            assert sum((await consumer.lag()).values()) == 0  # committed to the end
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
    delivered = drain(sqs, queue_url)
    assert sorted(from_delivered_event(e).id for e in delivered) == sorted(e.id for e in sent)
