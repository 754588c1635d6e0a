"""Publishing dead letters that can always be published.

A dead letter carries the original value so that it can be redriven, plus the ``x-dlt-*`` headers.
A message that just fits the broker's limit (1 MiB by default) and is too large for the service
makes a dead-letter copy that does *not* fit: if the pump kept retrying that publish, it would never
commit the offsets and the partition would stop for good behind one message. So a dead letter whose
copy exceeds ``max_bytes``, or that the broker refuses for its size anyway, is published with its
value cut to a prefix and says so:

* ``x-dlt-truncated``: the size of the original value in bytes;
* ``x-dlt-original-sha256``: the SHA-256 of the original value, to find and check it;
* ``x-dlt-original-topic|partition|offset`` (always present): where the original still is, until
  the input topic's retention deletes it. That is the pointer to the full bytes; keeping a copy in
  the service's own database instead would put megabyte blobs in a transactional store for what is
  an operator's investigation, and needs its own retention.

A truncated dead letter cannot be redriven as is (its value is not the event); the operator reads
the original from its offset.
"""

from __future__ import annotations

import hashlib

from msp_events.runtime.transport import MessageTooLargeError, Outgoing, ProducerPort

TRUNCATED_KEEP_BYTES = 16 * 1024
"""How much of the value a truncated dead letter keeps: enough to see what it was."""
RECORD_OVERHEAD_BYTES = 512
"""Kafka record batch and record framing: a safe margin."""
TRUNCATION_HEADERS_BYTES = 128
"""What the two truncation headers add."""


def record_size(message: Outgoing) -> int:
    """An upper estimate of the bytes a broker counts against ``message.max.bytes``."""
    headers = sum(len(k.encode()) + len(v) for k, v in message.headers)
    return RECORD_OVERHEAD_BYTES + len(message.key or b"") + len(message.value or b"") + headers


def is_truncated(message: Outgoing) -> bool:
    return any(k == "x-dlt-truncated" for k, _ in message.headers)


def truncated(message: Outgoing, keep: int = TRUNCATED_KEEP_BYTES) -> Outgoing:
    """The dead letter with its value cut to ``keep`` bytes and the truncation headers."""
    if is_truncated(message):
        return message
    value = message.value or b""
    return Outgoing(
        topic=message.topic,
        key=message.key,
        value=value[:keep],
        headers=[
            *message.headers,
            ("x-dlt-truncated", str(len(value)).encode()),
            ("x-dlt-original-sha256", hashlib.sha256(value).hexdigest().encode()),
        ],
    )


def fit(message: Outgoing, max_bytes: int) -> Outgoing:
    """The dead letter itself when it fits ``max_bytes``, else its truncated copy."""
    if record_size(message) <= max_bytes:
        return message
    room = max_bytes - (record_size(message) - len(message.value or b"")) - TRUNCATION_HEADERS_BYTES
    return truncated(message, max(0, min(TRUNCATED_KEEP_BYTES, room)))


async def publish_dead_letters(
    producer: ProducerPort, messages: list[Outgoing], max_bytes: int
) -> list[Outgoing]:
    """Publish the dead letters (acks=all) and return what was published.

    A size refusal is permanent, so it is never retried as is: when the broker's limit is lower
    than ``max_bytes`` (a topic's ``max.message.bytes``), every dead letter over the truncated size
    is cut and the batch sent again. Other errors propagate: the pump rewinds and retries the batch.
    """
    fitted = [fit(m, max_bytes) for m in messages]
    try:
        await producer.send_all(fitted)
    except MessageTooLargeError:
        fitted = [m if len(m.value or b"") <= TRUNCATED_KEEP_BYTES else truncated(m) for m in fitted]
        await producer.send_all(fitted)  # a duplicate of a letter sent before the refusal is harmless
    return fitted
