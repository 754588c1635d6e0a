"""The chart on Amazon MSK with IAM access control (ci/msk-iam.yaml): rendered offline and
validated strictly like every ci values set, and checked for what IAM needs: no Kafka Secret, the
mechanism and region in every Kafka client's env, an IAM role on every identity that talks to Kafka."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # pytest imports by path (importlib mode): share test_chart's helpers
from test_chart import CHART, SERVICES, env_of, needs_helm, pod_specs  # type: ignore[import-not-found]  # noqa: E402

VALUES = CHART / "ci" / "msk-iam.yaml"


@pytest.fixture(scope="module")
def rc() -> Any:
    sys.path.insert(0, str(HERE))
    import render_chart

    return render_chart


@pytest.fixture(scope="module")
def msk(rc: Any) -> Any:
    return rc.check(VALUES)


@needs_helm
def test_msk_iam_values_render_lint_and_validate(msk: Any) -> None:
    assert not msk.problems, "\n".join(msk.problems)


@needs_helm
def test_every_kafka_client_uses_iam_and_no_secret(msk: Any) -> None:
    specs = pod_specs(msk)
    cron = [
        (f"CronJob/{m['metadata']['name']}", m["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        for m in msk.objects("CronJob")
    ]
    assert cron, "the clock CronJob talks to Kafka too"
    for where, spec in [*specs, *cron]:
        env = env_of(spec["containers"][0])
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", where
        assert env["KAFKA_SASL_MECHANISM"]["value"] == "AWS_MSK_IAM", where
        assert env["KAFKA_AWS_REGION"]["value"] == "eu-west-1", where
        assert "KAFKA_SASL_USERNAME" not in env and "KAFKA_SASL_PASSWORD" not in env, where
        assert env["KAFKA_BOOTSTRAP_SERVERS"]["value"].endswith(":9098"), where
        assert env["KAFKA_REPLICATION_FACTOR"]["value"] == "3", where


@needs_helm
def test_each_identity_has_its_role(msk: Any) -> None:
    accounts = {m["metadata"]["name"]: m for m in msk.objects("ServiceAccount")}
    for name in SERVICES:
        role = accounts[name]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert role == f"arn:aws:iam::123456789012:role/msp-{name}"
    topics = next(m for m in msk.manifests if m["kind"] == "Job" and "topics" in m["metadata"]["name"])
    assert topics["spec"]["template"]["spec"]["serviceAccountName"] == "msp-topics"
    clock = msk.objects("CronJob")[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert clock["serviceAccountName"] == "msp-clock"


@needs_helm
@pytest.mark.parametrize(
    ("kafka", "complaint"),
    [
        ({"securityProtocol": "SASL_SSL", "saslMechanism": "AWS_MSK_IAM"}, "global.kafka.awsRegion"),
        (
            {"securityProtocol": "SASL_PLAINTEXT", "saslMechanism": "AWS_MSK_IAM", "awsRegion": "eu-west-1"},
            "SASL_SSL",
        ),
    ],
)
def test_iam_misconfiguration_fails_with_what_to_set(rc: Any, kafka: dict[str, str], complaint: str) -> None:
    result = rc.check(None, extra={"global": {"kafka": kafka}})
    assert any(complaint in p for p in result.problems), result.problems


@needs_helm
def test_the_eventbridge_bridge_is_one_probed_replica_with_its_bus_and_role(msk: Any) -> None:
    [bridge] = [m for m in msk.objects("Deployment") if m["metadata"]["name"].endswith("-eventbridge")]
    assert bridge["spec"]["replicas"] == 1 and bridge["spec"]["strategy"] == {"type": "Recreate"}
    pod = bridge["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "msp-eventbridge"
    [container] = pod["containers"]
    assert container["command"] == ["msp-events", "bridge"]
    env = env_of(container)
    assert (
        env["EVENTBRIDGE_BUS_NAME"]["value"] == "arn:aws:events:eu-west-1:123456789012:event-bus/msp-agents"
    )
    assert env["EVENTBRIDGE_REGION"]["value"] == "eu-west-1"
    beat = env["EVENTBRIDGE_HEARTBEAT_FILE"]["value"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["exec"]["command"] == [
            "msp-events",
            "heartbeat",
            "--file",
            beat,
            "--max-age-s",
            "120",
        ], probe
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # where the heartbeat lives
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"]


@needs_helm
def test_the_lake_export_is_a_daily_forbid_cronjob_writing_to_its_bucket(msk: Any) -> None:
    [lake] = [m for m in msk.objects("CronJob") if m["metadata"]["name"].endswith("-lake")]
    assert lake["spec"]["concurrencyPolicy"] == "Forbid"
    assert lake["spec"]["schedule"] == "30 0 * * *" and lake["spec"]["timeZone"] == "Etc/UTC"
    pod = lake["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "msp-lake" and pod["restartPolicy"] == "Never"
    [container] = pod["containers"]
    assert container["command"] == ["msp-events", "lake", "export"]
    env = env_of(container)
    assert (env["LAKE_S3_BUCKET"]["value"], env["LAKE_S3_PREFIX"]["value"]) == (
        "msp-lake-123456789012",
        "prod/",
    )
    assert env["LAKE_CHUNK_RECORDS"]["value"] == "10000"


@needs_helm
def test_the_aws_adapters_reach_kafka_dns_and_443_only(msk: Any) -> None:
    [policy] = [m for m in msk.objects("NetworkPolicy") if m["metadata"]["name"].endswith("-aws-adapters")]
    assert policy["spec"]["podSelector"]["matchExpressions"][0]["values"] == ["eventbridge", "lake"]
    assert policy["spec"]["ingress"] == []
    ports = {(p["protocol"], p["port"]) for rule in policy["spec"]["egress"] for p in rule["ports"]}
    kafka = {("TCP", p) for p in (9092, 9094, 9096, 9098)}
    assert ports == kafka | {("UDP", 53), ("TCP", 53), ("TCP", 443)}  # no database
    selected = [
        m["metadata"]["name"]
        for m in msk.objects("NetworkPolicy")
        if any(
            e["key"] == "app.kubernetes.io/component" and "eventbridge" in e["values"]
            for e in m["spec"]["podSelector"].get("matchExpressions") or []
        )
    ]
    assert len(selected) == 1, "the bridge is selected by exactly one policy"


@needs_helm
@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"eventbridge": {"enabled": True}}, "eventbridge.busName is required"),
        ({"lake": {"enabled": True}}, "lake.s3Bucket is required"),
    ],
)
def test_an_adapter_without_its_target_fails_with_what_to_set(
    rc: Any, extra: dict[str, Any], complaint: str
) -> None:
    from test_chart import with_auth  # type: ignore[import-not-found]

    result = rc.check(None, extra=with_auth(extra))
    assert any(complaint in p for p in result.problems), result.problems


@needs_helm
def test_the_adapters_are_off_by_default(rc: Any) -> None:
    from test_chart import AUTH  # type: ignore[import-not-found]

    result = rc.check(None, extra=AUTH)
    names = [m["metadata"]["name"] for m in result.manifests]
    assert not [n for n in names if n.endswith(("-eventbridge", "-lake", "-aws-adapters"))]
