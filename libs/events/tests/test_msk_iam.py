"""MSK IAM (SASL/OAUTHBEARER) for every Kafka client, offline: the AWS signer is replaced by a stub
(or, for the real signer, fed fake static credentials: signing is local, no AWS call is made)."""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from aiokafka.conn import OAuthAuthenticator
from typer.testing import CliRunner

from msp_events.asyncapi import faststream_broker
from msp_events.runtime import kafka as kafka_mod
from msp_events.runtime import msk_iam
from msp_events.runtime.kafka import KafkaTransport, connection_options
from msp_events.runtime.msk_iam import MskIamTokenProvider, aws_signer
from msp_events.runtime.settings import KafkaSettings

IAM_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "b-1.msp.abc123.c2.kafka.eu-west-1.amazonaws.com:9098",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "AWS_MSK_IAM",
    "KAFKA_AWS_REGION": "eu-west-1",
}


class StubSigner:
    """Counts calls and hands out numbered tokens valid for ``ttl_ms`` from the fake clock."""

    def __init__(self, clock: list[float], ttl_ms: float = 900_000) -> None:
        self.clock = clock
        self.ttl_ms = ttl_ms
        self.calls = 0

    def __call__(self) -> tuple[str, int]:
        self.calls += 1
        return f"token-{self.calls}", int(self.clock[0] + self.ttl_ms)


@pytest.fixture
def iam_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """KAFKA_* for MSK IAM, with the AWS signer replaced by a stub that records its region and role."""
    for name, value in IAM_ENV.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, Any] = {"regions": []}

    def fake_aws_signer(region: str, role_arn: str | None = None, profile: str | None = None) -> Any:
        seen["regions"].append(region)
        seen["role_arn"] = role_arn
        return lambda: ("stub-token", int(time.time() * 1000) + 900_000)

    monkeypatch.setattr(msk_iam, "aws_signer", fake_aws_signer)
    monkeypatch.setattr(msk_iam, "_SHARED", {})
    return seen


def test_settings_select_iam_and_the_options_carry_a_token_provider(iam_env: dict[str, Any]) -> None:
    settings = KafkaSettings()
    options = connection_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(options["sasl_oauth_token_provider"], MskIamTokenProvider)
    assert "sasl_plain_password" not in options
    assert options["ssl_context"] is not None
    assert iam_env["regions"] == ["eu-west-1"]


async def test_every_client_of_the_process_shares_one_token(iam_env: dict[str, Any]) -> None:
    """A /readyz admin client every few seconds must not sign (or assume a role) every time."""
    first = connection_options(KafkaSettings())["sasl_oauth_token_provider"]
    again = connection_options(KafkaSettings())["sasl_oauth_token_provider"]
    assert first is again and iam_env["regions"] == ["eu-west-1"]
    assert await first.token() == await again.token() == "stub-token"
    assert first.signed == 1
    other = connection_options(KafkaSettings(aws_role_arn="arn:aws:iam::123456789012:role/x"))
    assert other["sasl_oauth_token_provider"] is not first
    assert iam_env["role_arn"] == "arn:aws:iam::123456789012:role/x"


def test_plaintext_and_scram_are_unchanged() -> None:
    assert connection_options(KafkaSettings(bootstrap_servers="k:9092")) == {
        "bootstrap_servers": "k:9092",
        "security_protocol": "PLAINTEXT",
    }
    scram = connection_options(
        KafkaSettings(
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username="svc",
            sasl_password="pw",  # type: ignore[arg-type]
        )
    )
    assert scram["sasl_mechanism"] == "SCRAM-SHA-512"
    assert "sasl_oauth_token_provider" not in scram


def test_iam_without_tls_or_region_is_refused_with_what_to_set() -> None:
    with pytest.raises(ValueError, match="SASL_SSL"):
        connection_options(KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="AWS_MSK_IAM"))
    with pytest.raises(ValueError, match="KAFKA_AWS_REGION"):
        connection_options(KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM"))


async def test_the_provider_signs_once_and_again_only_near_expiry() -> None:
    clock = [1_000_000.0]
    signer = StubSigner(clock, ttl_ms=900_000)
    provider = MskIamTokenProvider(signer, refresh_before_s=60, wall_clock_ms=lambda: clock[0])
    assert await provider.token() == "token-1"
    clock[0] += 800_000  # 13m20s later: still more than a minute left
    assert await provider.token() == "token-1"
    clock[0] += 50_000  # 50 s before expiry: sign a fresh one
    assert await provider.token() == "token-2"
    assert signer.calls == provider.signed == 2


async def test_aiokafka_sends_the_token_as_the_oauthbearer_initial_response() -> None:
    clock = [0.0]
    provider = MskIamTokenProvider(StubSigner(clock), wall_clock_ms=lambda: clock[0])
    step = await OAuthAuthenticator(sasl_oauth_token_provider=provider).step(None)
    assert step is not None
    assert step[0] == b"n,,\x01auth=Bearer token-1\x01\x01"


def _provider_of(client: Any) -> Any:
    inner = getattr(client, "_client", None) or client.client  # consumer / producer
    return inner._sasl_oauth_token_provider


async def test_every_runtime_client_authenticates_with_iam(iam_env: dict[str, Any]) -> None:
    """Consumers, producers and the admin client (topic provisioning, /readyz) of the runtime."""
    transport = KafkaTransport(KafkaSettings(), client_id="cpi")
    consumer = transport.consumer("cpi", ["clock.ticked"])
    producer = transport.producer()
    assert isinstance(_provider_of(consumer._consumer), MskIamTokenProvider)
    assert isinstance(_provider_of(producer._producer), MskIamTokenProvider)
    assert consumer._consumer._client._sasl_mechanism == "OAUTHBEARER"
    assert producer._producer.client._sasl_mechanism == "OAUTHBEARER"


async def test_the_replay_reader_authenticates_with_iam(iam_env: dict[str, Any]) -> None:
    from msp_replay.reader import RangeReader

    reader = RangeReader(KafkaSettings())
    assert isinstance(_provider_of(reader._consumer), MskIamTokenProvider)


def test_faststream_broker_uses_oauthbearer_with_the_same_provider(iam_env: dict[str, Any]) -> None:
    broker = faststream_broker(KafkaSettings())
    found = _find(broker, lambda item: isinstance(item, MskIamTokenProvider))
    assert isinstance(found, MskIamTokenProvider)
    builder = _find(broker, lambda item: isinstance(item, functools.partial))
    assert builder.keywords["sasl_mechanism"] == "OAUTHBEARER"
    assert builder.keywords["security_protocol"] == "SASL_SSL"


def _find(broker: Any, wanted: Callable[[Any], bool]) -> Any:
    """FastStream keeps the aiokafka connection arguments (a ``functools.partial`` of the consumer)
    in its broker config; find what ``wanted`` picks there."""
    seen: set[int] = set()
    stack: list[Any] = [broker.config]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if wanted(item):
            return item
        if isinstance(item, functools.partial):
            stack.extend(item.keywords.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())
    return None


def test_topics_apply_builds_its_admin_client_with_iam(
    iam_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`msp-events topics apply` reads the same KAFKA_* settings: the admin client it would open
    carries the IAM token provider (captured instead of connecting)."""
    from msp_events import cli

    made: list[dict[str, Any]] = []

    class CapturedAdmin:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        async def start(self) -> None:
            raise ConnectionError("offline test: no broker")

        async def close(self) -> None:
            return None

    monkeypatch.setattr(kafka_mod, "AIOKafkaAdminClient", CapturedAdmin)
    result = CliRunner().invoke(cli.app, ["topics", "apply"])
    assert result.exit_code != 0
    assert made and made[0]["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(made[0]["sasl_oauth_token_provider"], MskIamTokenProvider)
    assert made[0]["bootstrap_servers"] == IAM_ENV["KAFKA_BOOTSTRAP_SERVERS"]


def test_the_aws_signer_signs_a_connect_url_for_the_region_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real signer with fake static credentials: a pre-signed kafka-cluster:Connect URL."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    token, expires_ms = aws_signer("eu-west-1")()
    url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.netloc == "kafka.eu-west-1.amazonaws.com"
    assert query["Action"] == ["kafka-cluster:Connect"]
    assert query["X-Amz-Credential"][0].startswith("AKIAIOSFODNN7EXAMPLE/")
    assert "/eu-west-1/kafka-cluster/aws4_request" in query["X-Amz-Credential"][0]
    assert expires_ms > time.time() * 1000
