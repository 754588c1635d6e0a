"""Inbox claims and outbox appends, in bulk: one statement for a whole batch of messages.

A round trip per message to PostgreSQL is what limits a consumer, so the pump claims the inbox
records of a batch with one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and appends
the events the batch emitted with one multi-row insert.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from msp_events.codec.kafka import encode_binary
from msp_events.envelope import Envelope
from msp_events.runtime.store import inbox, insert_for, outbox

InboxKey = tuple[str, str]
"""(source, id): what makes a delivery the same event (CloudEvents identity)."""


def inbox_key(envelope: Envelope[Any]) -> InboxKey:
    return (envelope.source, envelope.id)


def claim_inbox(session: Session, causes: Sequence[Envelope[Any]]) -> set[InboxKey]:
    """Record the causes as processed; returns the keys that were new (the rest are duplicates)."""
    rows: dict[InboxKey, dict[str, Any]] = {}
    for cause in causes:
        rows.setdefault(
            inbox_key(cause),
            {
                "source": cause.source,
                "event_id": cause.id,
                "type": cause.type,
                "event_time": cause.time,
                "subject": (cause.subject or "")[:255] or None,
            },
        )
    if not rows:
        return set()
    statement = (
        insert_for(session.get_bind().dialect.name, inbox)
        .values(list(rows.values()))
        .on_conflict_do_nothing()
        .returning(inbox.c.source, inbox.c.event_id)
    )
    return {(source, event_id) for source, event_id in session.execute(statement)}


def append_outbox(session: Session, envelopes: Sequence[Envelope[Any]]) -> None:
    """Queue events for the relay, in order, in the caller's transaction."""
    if not envelopes:
        return
    rows = []
    for envelope in envelopes:
        message = encode_binary(envelope)
        rows.append(
            {
                "event_id": envelope.id,
                "type": envelope.type,
                "topic": message.topic,
                "key": message.key,
                "value": message.value,
                "headers": json.dumps([[k, v.decode()] for k, v in message.headers]),
            }
        )
    session.execute(outbox.insert(), rows)
