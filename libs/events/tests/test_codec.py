"""The wire formats: CloudEvents binary/structured on Kafka, EventBridge entries, bad input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage as CEKafkaMessage
from cloudevents.v1.kafka import from_binary, from_structured, to_binary, to_structured

from msp_events import Envelope, Money
from msp_events.codec import eventbridge
from msp_events.codec.errors import DecodeError, Reason
from msp_events.codec.kafka import decode, encode_binary, encode_structured
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def client_event() -> Envelope[ClientUpserted]:
    data = ClientUpserted(
        client_id="C-1001",
        name="Harbor Dental",
        status="active",
        tier="Pro",
        currency="USD",
        created_on=date(2021, 4, 1),
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


def test_binary_mode_round_trip_keeps_every_attribute_and_the_key() -> None:
    envelope = client_event()
    message = encode_binary(envelope)
    assert message.topic == "psa.client.upserted"
    assert message.key == b"C-1001"
    headers = dict(message.headers)
    assert headers["ce_type"] == b"psa.client.upserted"
    assert headers["ce_subject"] == b"client/C-1001"
    assert headers["content-type"] == b"application/json"
    assert json.loads(message.value or b"")["client_id"] == "C-1001"
    assert decode(message.value, message.headers) == envelope


def test_structured_mode_is_read_too() -> None:
    envelope = client_event()
    decoded = decode(encode_structured(envelope), [("content-type", b"application/cloudevents+json")])
    assert decoded == envelope


def test_ids_derive_from_source_type_key_and_time_so_reimports_collide() -> None:
    assert client_event().id == client_event().id
    caused_a = client_event().caused(client_event().data, source="msp.cpi", producer="cpi", seq=0)
    caused_b = client_event().caused(client_event().data, source="msp.cpi", producer="cpi", seq=0)
    assert caused_a.id == caused_b.id and caused_a.causationid == client_event().id
    assert caused_a.correlationid == client_event().correlationid
    assert caused_a.time == T0


def test_a_caused_event_may_be_dated_later_than_its_cause_never_earlier() -> None:
    # a correction is dated no earlier than the event it corrects: later than its cause, same id
    later = T0 + timedelta(days=30)
    moved = client_event().caused(client_event().data, source="msp.cpi", producer="cpi", seq=0, time=later)
    same = client_event().caused(client_event().data, source="msp.cpi", producer="cpi", seq=0)
    assert moved.time == later and moved.id == same.id and moved.causationid == client_event().id
    with pytest.raises(ValueError, match="before its cause"):
        client_event().caused(
            client_event().data, source="msp.cpi", producer="cpi", seq=0, time=T0 - timedelta(seconds=1)
        )


def test_cloudevents_sdk_reads_our_binary_mode_and_we_read_its() -> None:
    ours = encode_binary(client_event())
    theirs = from_binary(CEKafkaMessage(headers=dict(ours.headers), key=ours.key, value=ours.value or b""))
    assert theirs["type"] == "psa.client.upserted"
    assert theirs["subject"] == "client/C-1001"
    assert theirs["id"] == client_event().id
    assert theirs.data["name"] == "Harbor Dental"

    sdk_event = CloudEvent(
        {
            "type": "psa.client.upserted",
            "source": "psa.autotask",
            "id": "evt-7",
            "time": "2026-03-01T09:30:00Z",
            "partitionkey": "C-2",
            "datacontenttype": "application/json",
        },
        {"client_id": "C-2", "name": "Blue Fern Law", "status": "active", "created_on": "2020-01-01"},
    )
    sdk_message = to_binary(sdk_event)
    decoded = decode(sdk_message.value, [(k, v) for k, v in sdk_message.headers.items()])
    assert decoded.data == ClientUpserted(
        client_id="C-2", name="Blue Fern Law", status="active", created_on=date(2020, 1, 1)
    )
    assert decoded.id == "evt-7"


def test_cloudevents_sdk_structured_mode_both_ways() -> None:
    structured = encode_structured(client_event())
    theirs = from_structured(
        CEKafkaMessage(
            headers={"content-type": b"application/cloudevents+json"}, key=b"C-1001", value=structured
        )
    )
    assert theirs["id"] == client_event().id
    message = to_structured(theirs)
    decoded = decode(message.value, [(k, v) for k, v in message.headers.items()])
    assert decoded == client_event()


def test_eventbridge_entry_round_trip_carries_id_and_data() -> None:
    envelope = client_event()
    entry = eventbridge.to_put_events_entry(envelope, event_bus_name="msp-agents")
    assert entry["Source"] == "psa.connectwise"
    assert entry["DetailType"] == "psa.client.upserted"
    detail = json.loads(entry["Detail"])
    assert detail["id"] == envelope.id and detail["data"]["client_id"] == "C-1001"
    assert eventbridge.from_put_events_entry(entry) == envelope
    delivered = {
        "source": entry["Source"],
        "detail-type": entry["DetailType"],
        "detail": detail,
        "id": "eb-generated-id",
        "time": "2026-03-01T09:30:00Z",
    }
    assert eventbridge.from_delivered_event(delivered) == envelope


def test_eventbridge_put_events_accepts_our_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    moto = pytest.importorskip("moto")
    import boto3

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        client = boto3.client("events")
        client.create_event_bus(Name="msp-agents")
        response = client.put_events(
            Entries=[eventbridge.to_put_events_entry(client_event(), event_bus_name="msp-agents")]
        )
    assert response["FailedEntryCount"] == 0


def test_money_is_a_decimal_string_on_the_wire() -> None:
    money = Money(amount=Decimal("1234.50"), currency="EUR")
    assert money.model_dump_json() == '{"amount":"1234.50","currency":"EUR"}'
    with pytest.raises(ValueError, match="unknown currency code 'ZZZ'"):
        Money(amount=Decimal(1), currency="ZZZ")


@pytest.mark.parametrize(
    ("value", "headers", "reason", "says"),
    [
        (
            b"\x00\xff garbage",
            [("ce_specversion", b"1.0"), ("ce_type", b"psa.client.upserted")],
            Reason.NOT_JSON,
            "not valid JSON",
        ),
        (
            b'{"ticket_id": "T-1"}',
            [
                ("ce_specversion", b"1.0"),
                ("ce_type", b"psa.client.upserted"),
                ("ce_id", b"x"),
                ("ce_source", b"psa"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
            ],
            Reason.SCHEMA_INVALID,
            "data.client_id: Field required",
        ),
        (
            b"{}",
            [("ce_specversion", b"1.0"), ("ce_type", b"psa.unheard.of")],
            Reason.UNKNOWN_TYPE,
            "unknown event type 'psa.unheard.of'",
        ),
        (b'{"client_id": "C-1"}', [], Reason.MISSING_HEADERS, "no ce_specversion header"),
        (b"x" * 2048, [("ce_specversion", b"1.0")], Reason.TOO_LARGE, "2048 bytes; the limit is 1024"),
        (
            b'{"client_id": "C-1"}',
            [
                ("ce_specversion", b"1.0"),
                ("ce_type", b"psa.client.upserted"),
                ("ce_id", b"x"),
                ("ce_source", b"psa"),
                ("ce_time", b"2026-01-01T00:00:00"),
            ],
            Reason.SCHEMA_INVALID,
            "time: Input should have timezone info",
        ),
    ],
    ids=["garbage-bytes", "wrong-schema", "unknown-type", "missing-headers", "oversized", "naive-time"],
)
def test_bad_input_is_refused_with_a_reason(
    value: bytes, headers: list[tuple[str, bytes]], reason: Reason, says: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(value, headers, max_bytes=1024)
    assert caught.value.reason is reason
    assert says in caught.value.detail


@pytest.mark.parametrize(
    "header", ["ce_id", "ce_source", "ce_type", "ce_subject", "ce_correlationid", "ce_x_custom"]
)
def test_a_ce_header_that_is_not_utf8_is_refused_naming_it(header: str) -> None:
    message = encode_binary(client_event())
    headers = [(k, v) for k, v in message.headers if k != header] + [(header, b"ab\xffcd")]
    with pytest.raises(DecodeError) as caught:
        decode(message.value, headers)
    assert caught.value.reason is Reason.BAD_HEADER
    assert caught.value.detail.startswith(f"header {header} is not valid UTF-8 (byte(s) ff at offset 2)")


def test_a_ce_header_in_utf8_beyond_ascii_is_accepted() -> None:
    message = encode_binary(client_event())
    headers = [(k, v) for k, v in message.headers if k != "ce_subject"] + [
        ("ce_subject", "client/Zoë".encode())
    ]
    assert decode(message.value, headers).subject == "client/Zoë"
