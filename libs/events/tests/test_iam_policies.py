"""`msp-events iam`: least-privilege policies from the registry. Each identity gets exactly the
topics, group, bus, prefixes and models it uses; documents are valid IAM (moto's policy validator)
and under IAM's managed-policy size limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from msp_events import cli
from msp_events.aws.iam import IDENTITIES, Cluster, PolicyOptions, kafka_access, policies, policy
from msp_events.registry import REGISTRY, SERVICES

CLUSTER = "arn:aws:kafka:eu-west-1:123456789012:cluster/msp-prod/0a1b2c3d-1111-2222-3333-444455556666-2"
TOPIC_ARN = "arn:aws:kafka:eu-west-1:123456789012:topic/msp-prod/0a1b2c3d-1111-2222-3333-444455556666-2/"
GROUP_ARN = "arn:aws:kafka:eu-west-1:123456789012:group/msp-prod/0a1b2c3d-1111-2222-3333-444455556666-2/"
BUS = "arn:aws:events:eu-west-1:123456789012:event-bus/msp-agents"
MODEL = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
MAX_MANAGED_POLICY_CHARS = 6144


def options(**kw: Any) -> PolicyOptions:
    base: dict[str, Any] = {
        "cluster_arn": CLUSTER,
        "topic_prefix": "prod.",
        "event_bus_arn": BUS,
        "lake_bucket": "msp-lake",
        "lake_prefix": "prod/",
        "bedrock_models": [MODEL],
    }
    return PolicyOptions(**{**base, **kw})


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in document["Statement"] if s["Sid"] == sid)


def topics_in(document: dict[str, Any], sid: str) -> set[str]:
    found = [s for s in document["Statement"] if s["Sid"] == sid]
    return {r.removeprefix(TOPIC_ARN) for s in found for r in s["Resource"]}


@pytest.mark.parametrize("service", SERVICES)
def test_an_agent_reads_what_it_consumes_and_writes_what_it_owns(service: str) -> None:
    document = policy(service, options())
    consumed = {f"prod.{s.topic}" for s in REGISTRY.consumed_by(service)}
    assert "prod.clock.ticked" in consumed
    assert topics_in(document, "ReadTopics") == consumed | {f"prod.redrive.{service}.*"}
    owned = {f"prod.{s.topic}" for s in REGISTRY if s.owner in (service, "agents")}
    assert topics_in(document, "WriteTopics") == owned | {f"prod.dlt.{service}.*"}
    assert statement(document, "ConsumerGroup")["Resource"] == [f"{GROUP_ARN}prod.{service}"]
    actions = {a for s in document["Statement"] for a in s["Action"]}
    assert "kafka-cluster:CreateTopic" not in actions  # the topics Job creates them
    assert "kafka-cluster:*" not in actions and not any(a.endswith(":*") for a in actions)
    assert statement(document, "ConnectToCluster")["Resource"] == [CLUSTER]
    # nobody else's input: an agent never reads a fact it does not handle or another's redrive topic
    others = {f"prod.{s.topic}" for s in REGISTRY if service not in s.consumers}
    assert not topics_in(document, "ReadTopics") & others


def test_bedrock_is_granted_to_the_narrative_writers_only() -> None:
    spo = statement(policy("spo", options()), "BedrockNarratives")
    assert spo["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert spo["Resource"] == [
        f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/{MODEL}",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]
    assert not [s for s in policy("cpi", options())["Statement"] if s["Sid"] == "BedrockNarratives"]
    plain = policy("vcm", options(bedrock_models=["amazon.nova-lite-v1:0"], bedrock_services=("spo", "vcm")))
    assert statement(plain, "BedrockNarratives")["Resource"] == [
        "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0"
    ]


def test_platform_identities() -> None:
    topics = policy("topics", options())
    created = topics_in(topics, "CreateTopics")
    assert {f"prod.{s.topic}" for s in REGISTRY} <= created
    assert {"prod.dlt.*", "prod.redrive.*"} <= created
    assert not [s for s in topics["Statement"] if s["Sid"] in ("ReadTopics", "WriteTopics", "ConsumerGroup")]

    clock = policy("clock", options())
    assert topics_in(clock, "WriteTopics") == {"prod.clock.ticked"}

    bridge = policy("eventbridge", options())
    assert statement(bridge, "PutEvents") == {
        "Sid": "PutEvents",
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": [BUS],
    }
    agent_topics = {f"prod.{s.topic}" for s in REGISTRY if s.owner in SERVICES}
    assert topics_in(bridge, "ReadTopics") == agent_topics
    # its own dead-letter family, as a pattern (one ARN per type would outgrow the size limit)
    assert topics_in(bridge, "WriteTopics") == topics_in(bridge, "CreateTopics") == {"prod.dlt.eventbridge.*"}

    lake = policy("lake", options())
    assert topics_in(lake, "ReadTopics") == {f"prod.{s.topic}" for s in REGISTRY}
    objects = statement(lake, "LakeObjects")
    assert objects["Action"] == ["s3:PutObject", "s3:GetObject"]
    assert objects["Resource"] == [
        "arn:aws:s3:::msp-lake/prod/raw/*",
        "arn:aws:s3:::msp-lake/prod/processed/*",
        "arn:aws:s3:::msp-lake/prod/analytics/*",
    ]
    listing = statement(lake, "LakeListing")
    assert listing["Resource"] == ["arn:aws:s3:::msp-lake"]
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [
        "prod/raw/*",
        "prod/processed/*",
        "prod/analytics/*",
    ]
    assert not [s for s in lake["Statement"] if s["Sid"] == "WriteTopics"]


def test_the_bridge_and_lake_appear_only_when_configured_and_need_their_resource() -> None:
    assert set(policies(options(event_bus_arn=None, lake_bucket=None))) == {*SERVICES, "topics", "clock"}
    assert set(policies(options())) == set(IDENTITIES)
    with pytest.raises(ValueError, match="--event-bus-arn"):
        policy("eventbridge", options(event_bus_arn=None))
    with pytest.raises(ValueError, match="--lake-bucket"):
        policy("lake", options(lake_bucket=None))
    with pytest.raises(ValueError, match="not an MSK cluster ARN"):
        Cluster.parse("arn:aws:kafka:eu-west-1:123456789012:topic/msp/x/y")
    with pytest.raises(ValueError, match="unknown identity"):
        kafka_access("billing")


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client(
            "iam", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )


def test_every_document_is_valid_iam_and_fits_a_managed_policy(iam: Any) -> None:
    for identity, document in policies(options()).items():
        text = json.dumps(document)
        assert len("".join(text.split())) <= MAX_MANAGED_POLICY_CHARS, identity
        created = iam.create_policy(PolicyName=f"msp-{identity}", PolicyDocument=text)  # validates
        assert created["Policy"]["PolicyName"] == f"msp-{identity}"
        for s in document["Statement"]:
            assert s["Effect"] == "Allow" and s["Action"] and s["Resource"], (identity, s)
            assert "*" not in s["Resource"] and "*" not in s["Action"], (identity, s)


def test_the_cli_writes_one_file_per_identity(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.app,
        [
            "iam",
            "--cluster-arn",
            CLUSTER,
            "--event-bus-arn",
            BUS,
            "--bedrock-model",
            MODEL,
            "--out",
            str(tmp_path),
        ],
        env={"KAFKA_TOPIC_PREFIX": "prod."},
    )
    assert result.exit_code == 0, result.output
    written = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert set(written) == {*SERVICES, "topics", "clock", "eventbridge"}
    assert written["spo"] == policy("spo", options(lake_bucket=None))
    one = CliRunner().invoke(cli.app, ["iam", "--cluster-arn", CLUSTER, "-s", "clock"])
    assert one.exit_code == 0 and set(json.loads(one.output)) == {"clock"}
    bad = CliRunner().invoke(cli.app, ["iam", "--cluster-arn", CLUSTER, "-s", "eventbridge"])
    assert bad.exit_code == 2 and "--event-bus-arn" in bad.output
