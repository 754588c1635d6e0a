"""Apache Kafka transport on aiokafka: idempotent ``acks=all`` producer, manual offset commits.

The pump needs exact control of what is committed and when (after the database commit and the
dead-letter publish), so it drives aiokafka directly; FastStream is used for the AsyncAPI side
(``msp_events.asyncapi``) with the same connection settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
)

from msp_events.runtime.msk_iam import MskIamTokenProvider, Signer, shared_provider
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.transport import MessageTooLargeError, Outgoing, Record
from msp_events.runtime.transport import TopicPartition as TP

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def connection_options(settings: KafkaSettings, signer: Signer | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for plaintext, TLS, SASL/SCRAM and MSK IAM connections: every
    Kafka client we make (consumers, producers, admin, the replay tools) is built from these.
    ``signer`` replaces the AWS MSK IAM signer (tests)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.ssl_cafile)
    if settings.sasl_mechanism == "AWS_MSK_IAM":
        options.update(msk_iam_options(settings, signer))
    elif settings.security_protocol.startswith("SASL"):
        if not (settings.sasl_mechanism and settings.sasl_username and settings.sasl_password):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_* needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME "
                "and KAFKA_SASL_PASSWORD (or KAFKA_SASL_MECHANISM=AWS_MSK_IAM)"
            )
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options


def msk_iam_options(settings: KafkaSettings, signer: Signer | None = None) -> dict[str, Any]:
    """SASL/OAUTHBEARER with an MSK IAM token provider. MSK serves IAM on TLS only (port 9098), so
    anything but SASL_SSL is a configuration mistake, refused here rather than as a broker timeout."""
    if settings.security_protocol != "SASL_SSL":
        raise ValueError("KAFKA_SASL_MECHANISM=AWS_MSK_IAM needs KAFKA_SECURITY_PROTOCOL=SASL_SSL")
    if signer is not None:
        provider = MskIamTokenProvider(signer)
    elif not settings.aws_region:
        raise ValueError("KAFKA_SASL_MECHANISM=AWS_MSK_IAM needs KAFKA_AWS_REGION")
    else:
        provider = shared_provider(settings.aws_region, settings.aws_role_arn, settings.aws_profile)
    return {"sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": provider}


class KafkaTransport:
    name = "kafka"

    def __init__(self, settings: KafkaSettings, client_id: str = "msp") -> None:
        self.settings = settings
        self.client_id = client_id

    def consumer(self, group: str, topics: list[str]) -> KafkaConsumer:
        return KafkaConsumer(self, group, topics)

    def producer(self) -> KafkaProducer:
        return KafkaProducer(self)

    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        await ensure_topics(self.settings, partitions_by_topic)

    def physical(self, topic: str) -> str:
        return self.settings.topic_prefix + topic

    def logical(self, topic: str) -> str:
        return topic.removeprefix(self.settings.topic_prefix)

    async def ping(self) -> bool:
        admin = AIOKafkaAdminClient(**connection_options(self.settings), request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), 5)
            await asyncio.wait_for(admin.list_topics(), 5)
            return True
        except Exception:
            return False
        finally:
            await admin.close()


async def ensure_topics(settings: KafkaSettings, partitions_by_topic: dict[str, int]) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = AIOKafkaAdminClient(**connection_options(settings), request_timeout_ms=15000)
    await admin.start()
    partitions_by_topic = {settings.topic_prefix + t: n for t, n in partitions_by_topic.items()}
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in partitions_by_topic if t not in existing]
        if missing:
            new = [
                NewTopic(
                    t, num_partitions=partitions_by_topic[t], replication_factor=settings.replication_factor
                )
                for t in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another service
                await admin.create_topics(new)
            await _wait_for_leaders(admin, missing)
        return missing
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], timeout_s: float = 30.0) -> None:
    """A new topic has no partition leaders for a moment; a consumer that starts then gets
    NotLeaderForPartition on its offset look-up and stalls, so wait until every partition has one."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        described = await admin.describe_topics(topics)
        if all(
            t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics {topics} still have no partition leaders after {timeout_s}s")
        await asyncio.sleep(0.2)


class KafkaConsumer:
    def __init__(self, transport: KafkaTransport, group: str, topics: list[str]) -> None:
        s = transport.settings
        self._transport = transport
        self._consumer = AIOKafkaConsumer(
            *[transport.physical(t) for t in topics],
            group_id=s.topic_prefix + group,
            client_id=f"{transport.client_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_REQUEST_BYTES,
            fetch_max_bytes=8 * MAX_REQUEST_BYTES,
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
            **connection_options(s),
        )
        self._committed: dict[TopicPartition, int] = {}  # what this member committed or read back

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [
            Record(
                topic=self._transport.logical(r.topic),
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value,
                headers=list(r.headers or ()),
                timestamp_ms=r.timestamp,
            )
            for records in batches.values()
            for r in records
        ]

    async def commit(self, offsets: dict[TP, int]) -> None:
        physical = {TopicPartition(self._transport.physical(t), p): o for (t, p), o in offsets.items()}
        try:
            await self._consumer.commit(physical)
            self._committed.update(physical)
        except CommitFailedError as exc:
            # The group rebalanced: another member re-reads these records and its inbox drops
            # whatever this member already committed to the database.
            log.warning("offset commit lost to a rebalance: %s", exc)

    async def seek(self, partition: TP, offset: int) -> None:
        tp = TopicPartition(self._transport.physical(partition[0]), partition[1])
        if tp in self._consumer.assignment():
            self._consumer.seek(tp, offset)

    def assignment(self) -> set[TP]:
        return {(self._transport.logical(tp.topic), tp.partition) for tp in self._consumer.assignment()}

    async def unfetched(self, partitions: set[TP]) -> dict[TP, int | None]:
        """High watermark minus fetch position, from the last fetch response of each partition
        (None until the first one: a fresh assignment is not known to be caught up)."""
        out: dict[TP, int | None] = {}
        assigned = self._consumer.assignment()
        for topic, partition in partitions:
            tp = TopicPartition(self._transport.physical(topic), partition)
            if tp not in assigned:
                continue
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                out[(topic, partition)] = None
                continue
            try:
                position = await asyncio.wait_for(self._consumer.position(tp), 1.0)
            except (TimeoutError, IllegalStateError):
                out[(topic, partition)] = None
                continue
            out[(topic, partition)] = max(0, highwater - position)
        return out

    def pause(self, partitions: set[TP]) -> None:
        self._consumer.pause(*self._physical(partitions))

    def resume(self, partitions: set[TP]) -> None:
        self._consumer.resume(*self._physical(partitions))

    def _physical(self, partitions: set[TP]) -> list[TopicPartition]:
        assigned = self._consumer.assignment()
        wanted = [TopicPartition(self._transport.physical(t), p) for t, p in partitions]
        return [tp for tp in wanted if tp in assigned]

    async def lag(self) -> dict[TP, int]:
        """End offset minus committed offset per assigned partition: one ListOffsets request, plus
        one OffsetFetch per partition the first time it is seen (then the commits keep it)."""
        assigned = set(self._consumer.assignment())
        for tp in [tp for tp in self._committed if tp not in assigned]:
            del self._committed[tp]  # another member may commit it meanwhile: read it again later
        if not assigned:
            return {}
        ends = await self._consumer.end_offsets(list(assigned))
        unknown = [tp for tp in assigned if tp not in self._committed]
        if unknown:
            starts = await self._consumer.beginning_offsets(unknown)
            for tp in unknown:
                committed = await self._consumer.committed(tp)
                self._committed[tp] = committed if committed is not None else starts[tp]
        return {
            (self._transport.logical(tp.topic), tp.partition): max(0, ends[tp] - self._committed[tp])
            for tp in assigned
        }


class KafkaProducer:
    def __init__(self, transport: KafkaTransport) -> None:
        self._transport = transport
        self._producer = AIOKafkaProducer(
            client_id=f"{transport.client_id}-producer",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=MAX_REQUEST_BYTES,
            **connection_options(transport.settings),
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, messages: list[Outgoing]) -> None:
        try:
            pending = [
                await self._producer.send(
                    self._transport.physical(m.topic), value=m.value, key=m.key, headers=list(m.headers)
                )
                for m in messages
            ]
            await asyncio.gather(*pending)
        except (MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError) as exc:
            # Not retriable: the same bytes are refused again (broker message.max.bytes or our
            # max_request_size). The caller decides what smaller thing to publish instead.
            raise MessageTooLargeError(f"refused for its size: {exc!r}") from exc
