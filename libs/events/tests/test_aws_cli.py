"""`msp-events bridge --once` and `msp-events lake export` end to end on the real broker: settings
from the environment, EventBridge and S3 from moto in this process."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from msp_events import cli
from msp_events.eventlog import to_outgoing
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.settings import KafkaSettings

pytestmark = pytest.mark.integration
REGION = "eu-west-1"
TOPIC = "resource.utilization.alert"


@pytest.fixture
def env(kafka_bootstrap: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }


@pytest.fixture
def aws(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def publish(env: dict[str, str], count: int) -> list[str]:
    from test_eventbridge_bridge import alert  # type: ignore[import-not-found]

    settings = KafkaSettings(
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=env["KAFKA_TOPIC_PREFIX"]
    )
    sent = [alert(n) for n in range(count)]

    async def go() -> None:
        transport = KafkaTransport(settings)
        await transport.ensure_topics({TOPIC: 3})
        producer = transport.producer()
        await producer.start()
        try:
            await producer.send_all([to_outgoing(e) for e in sent])
        finally:
            await producer.stop()

    asyncio.run(go())
    return [e.id for e in sent]


@pytest.fixture(autouse=True)
def _tests_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def test_bridge_once_puts_everything_and_exits(aws: None, env: dict[str, str]) -> None:
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name="msp-agents")
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="r", EventBusName="msp-agents", EventPattern=json.dumps({"detail-type": [TOPIC]}))
    events.put_targets(Rule="r", EventBusName="msp-agents", Targets=[{"Id": "q", "Arn": arn}])
    ids = publish(env, 12)
    result = CliRunner().invoke(
        cli.app,
        ["bridge", "--once"],
        env={"EVENTBRIDGE_BUS_NAME": "msp-agents", "EVENTBRIDGE_TYPES": json.dumps([TOPIC])},
    )
    assert result.exit_code == 0, result.output
    assert "12 events put on msp-agents" in result.output
    got: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        got.extend(json.loads(m["Body"])["detail"]["id"] for m in batch)
        for m in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(got) == sorted(ids)


def test_bridge_is_off_without_a_bus() -> None:
    result = CliRunner().invoke(cli.app, ["bridge"], env={"EVENTBRIDGE_BUS_NAME": ""})
    assert result.exit_code == 2 and "EVENTBRIDGE_BUS_NAME" in result.output


def test_lake_export_writes_to_s3_when_a_bucket_is_set(aws: None, env: dict[str, str]) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": REGION})
    ids = publish(env, 7)
    result = CliRunner().invoke(
        cli.app, ["lake", "export"], env={"LAKE_S3_BUCKET": "lake", "LAKE_S3_PREFIX": "test/"}
    )
    assert result.exit_code == 0, result.output
    assert "s3://lake/test/" in result.output
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="test/processed/")["Contents"]]
    rows = []
    for key in keys:
        body = s3.get_object(Bucket="lake", Key=key)["Body"].read()
        rows.extend(pq.read_table(pa.BufferReader(body)).to_pylist())
    assert sorted(r["id"] for r in rows) == sorted(ids)
    summary = s3.list_objects_v2(Bucket="lake", Prefix="test/analytics/agent.daily_summary/")["Contents"]
    assert summary and all(o["Key"].endswith("/ram.parquet") for o in summary)
