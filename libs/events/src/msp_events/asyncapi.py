"""AsyncAPI documents for each service, generated with FastStream from the registry.

A FastStream ``KafkaBroker`` is declared (never connected) with one subscriber per consumed type
and one publisher per owned type, each carrying the payload model, and FastStream renders the
AsyncAPI 3.0 document from it.
"""

from __future__ import annotations

import ssl
from typing import Any

import yaml
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLOAuthBearer, SASLPlaintext, SASLScram256, SASLScram512
from faststream.specification import AsyncAPI

from msp_events.registry import REGISTRY, SERVICES, EventSpec, Registry
from msp_events.runtime.kafka import msk_iam_options
from msp_events.runtime.msk_iam import Signer
from msp_events.runtime.settings import KafkaSettings


def faststream_broker(settings: KafkaSettings, signer: Signer | None = None) -> KafkaBroker:
    """A FastStream Kafka broker with the same connection and security settings as the runtime
    (MSK IAM: FastStream's OAUTHBEARER security with our token provider; ``signer`` for tests)."""
    security: BaseSecurity | None = None
    context = (
        ssl.create_default_context(cafile=settings.ssl_cafile)
        if settings.security_protocol in ("SSL", "SASL_SSL")
        else None
    )
    use_ssl = context is not None
    if settings.sasl_mechanism == "AWS_MSK_IAM":
        provider = msk_iam_options(settings, signer)["sasl_oauth_token_provider"]
        security = SASLOAuthBearer(ssl_context=context, use_ssl=use_ssl)
        return KafkaBroker(settings.bootstrap_servers, security=security, sasl_oauth_token_provider=provider)
    if settings.security_protocol.startswith("SASL"):
        user = settings.sasl_username or ""
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        kind = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}
        security = kind[settings.sasl_mechanism or "SCRAM-SHA-512"](
            username=user, password=password, use_ssl=use_ssl, ssl_context=context
        )
    elif use_ssl:
        security = BaseSecurity(ssl_context=context, use_ssl=True)
    return KafkaBroker(settings.bootstrap_servers, security=security)


def _subscriber(broker: KafkaBroker, spec: EventSpec, service: str) -> None:
    async def handler(payload: Any) -> None:  # documentation only; the runtime's pump consumes
        return None

    handler.__annotations__ = {"payload": spec.model, "return": None}
    handler.__name__ = spec.model.__name__
    broker.subscriber(
        spec.topic, group_id=service, title=f"{spec.topic}:{service}", description=spec.description
    )(handler)


def service_document(
    service: str, settings: KafkaSettings | None = None, registry: Registry = REGISTRY
) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {SERVICES}")
    # The committed documents describe the local default server, whatever KAFKA_* says here:
    # otherwise `catalog --check` would fail on a machine whose broker listens elsewhere.
    broker = faststream_broker(settings or KafkaSettings.model_construct())
    for spec in registry.consumed_by(service):
        _subscriber(broker, spec, service)
    for spec in registry:
        if spec.owner == service or (spec.owner == "agents"):
            broker.publisher(spec.topic, title=spec.topic, schema=spec.model, description=spec.description)
    document = AsyncAPI(
        broker,
        title=f"{service.upper()} agent",
        version="1.0.0",
        description=f"Events consumed and published by the {service} agent",
    )
    # FastStream keeps channels in a hash-ordered collection; sort so the committed file is stable.
    return str(yaml.safe_dump(yaml.safe_load(document.to_specification().to_yaml()), sort_keys=True))
