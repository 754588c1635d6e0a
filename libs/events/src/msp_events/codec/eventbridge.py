"""Mapping between our envelope and Amazon EventBridge.

``Source`` is the CloudEvents source, ``DetailType`` the event type and ``Detail`` carries the
envelope id, the other attributes and the data, so that a rule can match on ``detail-type`` and a
consumer behind EventBridge can still deduplicate by the original id (EventBridge itself does not).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from msp_events.codec.errors import DecodeError, Reason
from msp_events.codec.kafka import from_attributes
from msp_events.envelope import Envelope

MAX_DETAIL_TYPE = 128
MAX_SOURCE = 256


def to_put_events_entry(envelope: Envelope[Any], *, event_bus_name: str) -> dict[str, Any]:
    """One ``PutEvents`` request entry."""
    if envelope.source.startswith("aws."):
        raise ValueError("EventBridge rejects sources starting with 'aws.'")
    attributes = envelope.attributes()
    detail = {**attributes, "data": envelope.data.model_dump(mode="json")}
    return {
        "Source": envelope.source[:MAX_SOURCE],
        "DetailType": envelope.type[:MAX_DETAIL_TYPE],
        "Detail": json.dumps(detail, separators=(",", ":")),
        "Time": envelope.time,
        "EventBusName": event_bus_name,
        "Resources": [],
    }


def from_put_events_entry(entry: dict[str, Any]) -> Envelope[Any]:
    return _from_detail(entry.get("Detail"), entry.get("Source"), entry.get("DetailType"))


def from_delivered_event(event: dict[str, Any]) -> Envelope[Any]:
    """An event as EventBridge delivers it to a target (``source``, ``detail-type``, ``detail``)."""
    return _from_detail(event.get("detail"), event.get("source"), event.get("detail-type"))


def _from_detail(detail: Any, source: Any, detail_type: Any) -> Envelope[Any]:
    if isinstance(detail, str | bytes):
        try:
            detail = json.loads(detail)
        except json.JSONDecodeError as exc:
            raise DecodeError(Reason.NOT_JSON, f"EventBridge Detail is not JSON: {exc}") from None
    if not isinstance(detail, dict):
        raise DecodeError(Reason.SCHEMA_INVALID, "EventBridge Detail must be a JSON object")
    attributes = dict(detail)
    attributes.setdefault("source", source)
    attributes.setdefault("type", detail_type)
    if attributes.get("type") != detail_type:
        raise DecodeError(
            Reason.SCHEMA_INVALID,
            f"DetailType {detail_type!r} disagrees with detail type {attributes['type']!r}",
        )
    if isinstance(attributes.get("time"), datetime):
        attributes["time"] = attributes["time"].isoformat()
    return from_attributes(attributes)
