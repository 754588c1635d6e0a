"""CloudEvents Kafka protocol binding.

We write binary mode (the value is the JSON payload, attributes travel as ``ce_*`` headers, the
key is the partition key) because consumers and tools can route on headers without parsing the
payload. We also read structured mode (``content-type: application/cloudevents+json``), which the
replay files and some producers use.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from msp_events.codec.errors import DecodeError, Reason
from msp_events.envelope import ATTRIBUTE_NAMES, Envelope
from msp_events.registry import REGISTRY, EventData, UnknownEventType

Headers = list[tuple[str, bytes]]
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class KafkaMessage:
    """What goes on (or comes off) a topic, independent of the client library."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


def encode_binary(envelope: Envelope[Any]) -> KafkaMessage:
    headers: Headers = [("content-type", envelope.datacontenttype.encode())]
    for name, value in envelope.attributes().items():
        if name == "datacontenttype":
            continue
        headers.append((f"ce_{name}", value.encode()))
    key = envelope.partitionkey.encode() if envelope.partitionkey is not None else None
    return KafkaMessage(
        topic=envelope.spec.topic,
        key=key,
        value=envelope.data.model_dump_json().encode(),
        headers=headers,
    )


def encode_structured(envelope: Envelope[Any]) -> bytes:
    """The whole envelope as one JSON document (replay files, EventBridge detail, archives)."""
    return envelope.model_dump_json(exclude_none=True).encode()


def decode(value: bytes | None, headers: Headers, *, max_bytes: int | None = None) -> Envelope[Any]:
    """Turn a Kafka record into a typed envelope, or raise ``DecodeError`` saying why not."""
    size = len(value or b"")
    if max_bytes is not None and size > max_bytes:
        raise DecodeError(Reason.TOO_LARGE, f"message is {size} bytes; the limit is {max_bytes}")
    hdrs = {k.lower(): v for k, v in headers}
    content_type = hdrs.get("content-type", b"").decode(errors="replace")
    if "ce_specversion" in hdrs:
        for header, value_bytes in hdrs.items():
            if header.startswith("ce_"):
                _check_utf8(header, value_bytes)
        attributes: dict[str, Any] = {}
        for name in ATTRIBUTE_NAMES:
            raw = hdrs.get(f"ce_{name}")
            if raw is not None:
                attributes[name] = raw.decode()
        attributes["datacontenttype"] = content_type or "application/json"
        attributes["data"] = _json(value, "the payload")
    elif content_type.startswith(STRUCTURED_CONTENT_TYPE):
        document = _json(value, "the structured CloudEvent")
        if not isinstance(document, dict):
            raise DecodeError(Reason.SCHEMA_INVALID, "a structured CloudEvent must be a JSON object")
        attributes = document
    else:
        raise DecodeError(
            Reason.MISSING_HEADERS,
            "no ce_specversion header and no content-type application/cloudevents+json: "
            "publish CloudEvents in binary or structured mode",
        )
    return from_attributes(attributes)


def from_attributes(attributes: dict[str, Any]) -> Envelope[Any]:
    type_name = attributes.get("type")
    if not isinstance(type_name, str):
        raise DecodeError(Reason.SCHEMA_INVALID, "the CloudEvent has no 'type' attribute")
    try:
        spec = REGISTRY.get(type_name)
    except UnknownEventType as exc:
        raise DecodeError(
            Reason.UNKNOWN_TYPE, f"{exc.args[0]}; the registry in msp_events declares it"
        ) from None
    try:
        return _typed_envelope(spec.model).model_validate(attributes)
    except ValidationError as exc:
        raise DecodeError(Reason.SCHEMA_INVALID, _summarise(type_name, exc)) from None


@functools.cache
def _typed_envelope(model: type[EventData]) -> type[Envelope[Any]]:
    """``Envelope[Model]``, built once per type: pydantic's own lookup costs ~25 µs per message."""
    return Envelope[model]  # type: ignore[valid-type]


def _check_utf8(header: str, raw: bytes) -> None:
    """CloudEvents attributes are strings, UTF-8 on Kafka. Decoding with replacement characters
    would accept a mangled ``ce_id`` (two different ids could even become one inbox key), so a
    header that is not UTF-8 refuses the message, naming the header and the offending bytes."""
    try:
        raw.decode()
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.end].hex(" ")
        raise DecodeError(
            Reason.BAD_HEADER,
            f"header {header} is not valid UTF-8 (byte(s) {bad} at offset {exc.start}); "
            "the producer must encode CloudEvents attributes as UTF-8",
        ) from None


def _json(value: bytes | None, what: str) -> Any:
    if value is None:
        raise DecodeError(Reason.NOT_JSON, f"{what} is empty (a tombstone?)")
    try:
        return json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(Reason.NOT_JSON, f"{what} is not valid JSON: {exc}") from None


def _summarise(type_name: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        problems.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return f"does not match the {type_name} schema: " + "; ".join(problems) + more
