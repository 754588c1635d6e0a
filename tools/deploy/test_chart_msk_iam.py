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
from test_chart import CHART, env_of, needs_helm, pod_specs  # type: ignore[import-not-found]  # noqa: E402

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
    for name in ("cpi", "spo", "ram", "sli", "dsa", "vcm"):
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
