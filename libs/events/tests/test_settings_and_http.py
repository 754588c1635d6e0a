"""Connection settings (plaintext, SASL/SCRAM over TLS) and the HTTP side every service exposes."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from msp_events.asyncapi import faststream_broker
from msp_events.runtime.http import build_http_app, build_metrics_app
from msp_events.runtime.kafka import KafkaTransport, connection_options
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.testing import auth as test_auth


def test_plaintext_is_the_local_default() -> None:
    options = connection_options(KafkaSettings(bootstrap_servers="127.0.0.1:9092"))
    assert options == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_scram_over_tls_for_managed_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b-1.msk.example:9096")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "cpi")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    settings = KafkaSettings()
    options = connection_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("cpi", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "s3cret" not in repr(settings)  # the password is a SecretStr
    broker = faststream_broker(settings)  # the FastStream side gets the same security
    connect = broker.config.broker_config.builder.keywords  # what FastStream passes to aiokafka
    assert (connect["security_protocol"], connect["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert connect["sasl_plain_username"] == "cpi"


def test_sasl_without_credentials_says_what_is_missing() -> None:
    settings = KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256")
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        connection_options(settings)


async def test_readyz_is_503_naming_what_is_down_and_metrics_are_exposed_on_their_own_port(
    tmp_path: Path,
) -> None:
    settings = ServiceSettings(service_name="cpi", DATABASE_URL=f"sqlite:///{tmp_path}/cpi.db")
    unreachable = KafkaTransport(KafkaSettings(bootstrap_servers="127.0.0.1:1"), client_id="probe")
    service = Service(settings=settings, router=HandlerRouter(), transport=unreachable, migrations=tmp_path)
    app = build_http_app(service, auth=test_auth.settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cpi") as client:
        live = await client.get("/livez")  # the probes need no token
        ready = await client.get("/readyz")
        not_here = await client.get("/metrics")
        docs = await client.get("/openapi.json")
    metrics_app = build_metrics_app(service)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=metrics_app), base_url="http://m"
    ) as client:
        metrics = await client.get("/metrics")
    assert not_here.status_code == 404
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"ready": False, "checks": {"database": True, "broker": False}}
    assert metrics.status_code == 200
    for name in (
        "msp_outbox_backlog",
        "msp_outbox_oldest_age_seconds",
        "msp_handler_seconds",
        'msp_service_info{service="cpi"} 1.0',
    ):
        assert name in metrics.text
    assert {"/livez", "/readyz"} <= set(docs.json()["paths"])
    assert "/metrics" not in docs.json()["paths"]
    service.engine.dispose()


def test_the_committed_asyncapi_documents_do_not_depend_on_the_local_kafka_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from msp_events.asyncapi import service_document

    default = service_document("cpi")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9192")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    assert service_document("cpi") == default
    assert "127.0.0.1:9092" in default
