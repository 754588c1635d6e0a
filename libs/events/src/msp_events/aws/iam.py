"""Least-privilege IAM policies, derived from the registry like the topics themselves.

Each identity that runs in the cluster gets one policy document (IAM JSON) for its IAM role
(IRSA / EKS Pod Identity):

* an agent: ``kafka-cluster:Connect`` to the MSK cluster, read (``DescribeTopic``, ``ReadData``) on
  the topics it consumes and on its own redrive topics, write (``DescribeTopic``, ``WriteData``) on
  the topics it owns and its dead-letter topics, idempotent writes on the cluster, and its own
  consumer group; optionally Bedrock models (the narrative writers);
* ``topics`` (the provisioning Job): create and describe every topic of the registry;
* ``clock``: write ``clock.ticked``;
* ``eventbridge`` (the bridge): read the bridged topics, write and create its dead-letter topics,
  its group, ``events:PutEvents`` on its bus only;
* ``lake`` (the export job): read every event topic, its group, and S3 objects under its bucket's
  ``raw/``, ``processed/`` and ``analytics/`` prefixes only.

Topic and group ARNs are built from the cluster ARN as MSK defines them
(``arn:aws:kafka:<region>:<account>:topic/<cluster name>/<cluster uuid>/<topic>``), with the
environment's topic prefix in front of every name. Nothing here calls AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from msp_events.aws.bridge import CONSUMER as BRIDGE
from msp_events.aws.bridge import cross_agent_types
from msp_events.aws.lake import GROUP as LAKE
from msp_events.registry import REGISTRY, SERVICES, Registry, dead_letter_topic, redrive_topic

_CLUSTER_ARN = re.compile(r"^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster/([^/]+)/([^/]+)$")
GEO_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "ca.", "jp.", "au.", "global.")
"""Bedrock cross-region inference profile ids start with one of these."""
PLATFORM_IDENTITIES = ("topics", "clock", BRIDGE, LAKE)
IDENTITIES = (*SERVICES, *PLATFORM_IDENTITIES)

READ = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
WRITE = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
GROUP = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]


@dataclass(frozen=True)
class Cluster:
    """An MSK cluster ARN, taken apart."""

    partition: str
    region: str
    account: str
    name: str
    uuid: str

    @classmethod
    def parse(cls, arn: str) -> Cluster:
        match = _CLUSTER_ARN.match(arn)
        if not match:
            raise ValueError(
                f"{arn!r} is not an MSK cluster ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID)"
            )
        return cls(*match.groups())

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:kafka:{self.region}:{self.account}:cluster/{self.name}/{self.uuid}"

    def resource(self, kind: str, name: str) -> str:
        return (
            f"arn:{self.partition}:kafka:{self.region}:{self.account}:{kind}/{self.name}/{self.uuid}/{name}"
        )


@dataclass
class PolicyOptions:
    cluster_arn: str
    topic_prefix: str = ""
    event_bus_arn: str | None = None
    lake_bucket: str | None = None
    lake_prefix: str = ""
    bedrock_models: list[str] = field(default_factory=list)
    bedrock_services: tuple[str, ...] = ("spo",)
    """Agents that write narratives (SPO's proposals first); the models are granted to these only."""


@dataclass
class KafkaAccess:
    read: set[str] = field(default_factory=set)
    write: set[str] = field(default_factory=set)
    create: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)


def kafka_access(identity: str, registry: Registry = REGISTRY) -> KafkaAccess:
    """The logical topics and groups an identity reads, writes, creates and joins."""
    access = KafkaAccess()
    if identity in SERVICES:
        if not registry.consumed_by(identity) and not registry.owned_by(identity):
            raise ValueError(f"{identity} neither consumes nor publishes anything")
        # Its own dead-letter and redrive topics as one pattern each (``dlt.cpi.*``): exactly the
        # ones the registry gives it, and the policy stays under IAM's 6,144-character limit.
        access.read = {s.topic for s in registry.consumed_by(identity)}
        access.read.add(redrive_topic(identity, "*"))
        access.write = {s.topic for s in registry if s.owner in (identity, "agents")}
        access.write.add(dead_letter_topic(identity, "*"))
        access.groups.add(identity)
    elif identity == "topics":
        # every event topic, and the dead-letter and redrive families as patterns (size limit)
        access.create = {spec.topic for spec in registry} | {"dlt.*", "redrive.*"}
    elif identity == "clock":
        access.write.add(registry.get("clock.ticked").topic)
    elif identity == BRIDGE:
        # its dead-letter topics as one pattern (``dlt.eventbridge.*``), as the agents' own: one ARN
        # per bridged type outgrew IAM's 6,144-character limit once RAM published assignments
        access.read = {registry.get(t).topic for t in cross_agent_types(registry)}
        access.write = access.create = {dead_letter_topic(BRIDGE, "*")}
        access.groups.add(BRIDGE)
    elif identity == LAKE:
        access.read = {spec.topic for spec in registry}
        access.groups.add(LAKE)
    else:
        raise ValueError(f"unknown identity {identity!r}; one of {IDENTITIES}")
    return access


def policy(identity: str, options: PolicyOptions, registry: Registry = REGISTRY) -> dict[str, Any]:
    """The IAM policy document of one identity."""
    cluster = Cluster.parse(options.cluster_arn)
    access = kafka_access(identity, registry)
    prefix = options.topic_prefix

    def topics(names: set[str]) -> list[str]:
        return [cluster.resource("topic", prefix + n) for n in sorted(names)]

    cluster_actions = ["kafka-cluster:Connect"]
    if access.write:
        cluster_actions.append("kafka-cluster:WriteDataIdempotently")  # the producers are idempotent
    statements: list[dict[str, Any]] = [
        {"Sid": "ConnectToCluster", "Effect": "Allow", "Action": cluster_actions, "Resource": [cluster.arn]}
    ]
    if access.read:
        statements.append(
            {"Sid": "ReadTopics", "Effect": "Allow", "Action": READ, "Resource": topics(access.read)}
        )
    if access.write:
        statements.append(
            {"Sid": "WriteTopics", "Effect": "Allow", "Action": WRITE, "Resource": topics(access.write)}
        )
    if access.create:
        statements.append(
            {
                "Sid": "CreateTopics",
                "Effect": "Allow",
                "Action": ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic"],
                "Resource": topics(access.create),
            }
        )
    if access.groups:
        statements.append(
            {
                "Sid": "ConsumerGroup",
                "Effect": "Allow",
                "Action": GROUP,
                "Resource": [cluster.resource("group", prefix + g) for g in sorted(access.groups)],
            }
        )
    if identity == BRIDGE:
        if not options.event_bus_arn:
            raise ValueError("the eventbridge policy needs the bus ARN (--event-bus-arn)")
        statements.append(
            {
                "Sid": "PutEvents",
                "Effect": "Allow",
                "Action": ["events:PutEvents"],
                "Resource": [options.event_bus_arn],
            }
        )
    if identity == LAKE:
        statements.extend(_lake_statements(cluster.partition, options))
    if identity in options.bedrock_services and options.bedrock_models:
        statements.append(_bedrock_statement(cluster, options.bedrock_models))
    return {"Version": "2012-10-17", "Statement": statements}


def _lake_statements(partition: str, options: PolicyOptions) -> list[dict[str, Any]]:
    if not options.lake_bucket:
        raise ValueError("the lake policy needs the bucket (--lake-bucket)")
    bucket = f"arn:{partition}:s3:::{options.lake_bucket}"
    zones = [f"{options.lake_prefix}{zone}/" for zone in ("raw", "processed", "analytics")]
    return [
        {
            "Sid": "LakeObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": [f"{bucket}/{z}*" for z in zones],
        },
        {
            "Sid": "LakeListing",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket],
            "Condition": {"StringLike": {"s3:prefix": [f"{z}*" for z in zones]}},
        },
    ]


def _bedrock_statement(cluster: Cluster, models: list[str]) -> dict[str, Any]:
    """Converse needs ``bedrock:InvokeModel`` on the model; through a cross-region inference
    profile, on the profile and on the foundation model in the regions it routes to."""
    resources: list[str] = []
    for model in sorted(models):
        if model.startswith(GEO_PREFIXES):
            base = model.split(".", 1)[1]
            resources.append(
                f"arn:{cluster.partition}:bedrock:{cluster.region}:{cluster.account}:inference-profile/{model}"
            )
            resources.append(f"arn:{cluster.partition}:bedrock:*::foundation-model/{base}")
        else:
            resources.append(f"arn:{cluster.partition}:bedrock:{cluster.region}::foundation-model/{model}")
    return {
        "Sid": "BedrockNarratives",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": resources,
    }


def policies(options: PolicyOptions, identities: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """Every identity's policy; the bridge and the lake only when their bus or bucket is given."""
    chosen = identities or tuple(
        i for i in IDENTITIES if (i != BRIDGE or options.event_bus_arn) and (i != LAKE or options.lake_bucket)
    )
    return {identity: policy(identity, options) for identity in chosen}
