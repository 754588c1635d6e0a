"""Check that a Kafka broker supports what the services use, with the aiokafka client they use.

    python tools/infra/verify_kafka.py [BOOTSTRAP]      # default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092

Checks (each on fresh, uniquely named topics/groups, deleted at the end, so it can be rerun):
  (a) admin client: create a topic with 3 partitions and describe it
  (b) consumer group with manual commit: a new consumer of the same group resumes at the committed offset
  (c) idempotent producer (enable_idempotence=True, acks='all')
  (d) transactions: committed batch visible, aborted batch invisible to a read_committed consumer
      (but present for read_uncommitted), plus send_offsets_to_transaction (consume-transform-produce)
Prints one line per check and a closing "N passed, N failed"; exits 1 if any check failed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import traceback
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
RUN = uuid.uuid4().hex[:8]
CREATED: list[str] = []


def name(kind: str) -> str:
    return f"verify-{kind}-{RUN}"


async def create_topic(topic: str, partitions: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
        CREATED.append(topic)
    finally:
        await admin.close()


async def drain(consumer: AIOKafkaConsumer, expected: int, wait_s: float = 20.0) -> list:
    """Read until `expected` records arrived, then keep polling a little to catch extras."""
    records: list = []
    deadline = time.monotonic() + wait_s
    while len(records) < expected and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=500)
        for recs in batch.values():
            records.extend(recs)
    # anything beyond `expected` would be a bug (e.g. duplicates or aborted records)
    extra_deadline = time.monotonic() + 1.5
    while time.monotonic() < extra_deadline:
        batch = await consumer.getmany(timeout_ms=300)
        for recs in batch.values():
            records.extend(recs)
    return records


def consumer(topic: str, group: str | None, **kw) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kw,
    )


async def check_a_admin() -> str:
    topic = name("a")
    await create_topic(topic, partitions=3)
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        assert topic in await admin.list_topics(), "topic not listed"
        desc = await admin.describe_topics([topic])
        parts = desc[0]["partitions"]
        assert len(parts) == 3, f"expected 3 partitions, got {len(parts)}"
    finally:
        await admin.close()
    return f"topic {topic} with 3 partitions created and described"


async def check_b_group_manual_commit() -> str:
    topic, group = name("b"), name("b-group")
    await create_topic(topic)
    tp = TopicPartition(topic, 0)
    prod = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await prod.start()
    try:
        for i in range(10):
            await prod.send_and_wait(topic, f"m{i}".encode())
    finally:
        await prod.stop()

    # consumer 1: read all 10, but commit explicitly only up to offset 7 (i.e. m0..m6 done)
    c1 = consumer(topic, group)
    await c1.start()
    try:
        got = await drain(c1, 10)
        assert [r.value for r in got] == [f"m{i}".encode() for i in range(10)], got
        await c1.commit({tp: 7})
        assert await c1.committed(tp) == 7
    finally:
        await c1.stop()

    # consumer 2, same group: must resume at 7; then commit its position (10) with commit()
    c2 = consumer(topic, group)
    await c2.start()
    try:
        got = await drain(c2, 3)
        assert [r.offset for r in got] == [7, 8, 9], f"resumed at {[r.offset for r in got]}"
        await c2.commit()
    finally:
        await c2.stop()

    # consumer 3, same group: nothing left, only newly produced records
    prod = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await prod.start()
    try:
        await prod.send_and_wait(topic, b"late")
    finally:
        await prod.stop()
    c3 = consumer(topic, group)
    await c3.start()
    try:
        got = await drain(c3, 1)
        assert [r.value for r in got] == [b"late"], got
    finally:
        await c3.stop()
    return "produce 10, commit@7 -> new member resumed at 7; commit() -> next member got only new record"


async def check_c_idempotent() -> str:
    topic = name("c")
    await create_topic(topic)
    prod = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    await prod.start()
    try:
        futs = [await prod.send(topic, f"i{i}".encode(), key=b"k") for i in range(50)]
        metas = await asyncio.gather(*futs)
        pid = prod._txn_manager.producer_id if prod._txn_manager else None
        assert pid is not None and pid >= 0, f"no producer id assigned ({pid})"
    finally:
        await prod.stop()
    assert [m.offset for m in metas] == list(range(50)), "offsets not contiguous"
    c = consumer(topic, None)
    await c.start()
    try:
        got = await drain(c, 50)
    finally:
        await c.stop()
    assert [r.value for r in got] == [f"i{i}".encode() for i in range(50)], "duplicates/reordering"
    return f"50 records, producer_id={pid}, contiguous offsets, no duplicates"


async def check_d_transactions() -> str:
    src, topic, group = name("d-src"), name("d"), name("d-group")
    await create_topic(src)
    await create_topic(topic)
    prod = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP, transactional_id=name("d-txn"), enable_idempotence=True, acks="all"
    )
    await prod.start()
    try:
        async with prod.transaction():  # committed
            for i in range(3):
                await prod.send(topic, f"ok{i}".encode())
        await prod.begin_transaction()  # aborted
        for i in range(3):
            await prod.send(topic, f"aborted{i}".encode())
        await prod.abort_transaction()
        async with prod.transaction():  # committed, after the aborted one
            await prod.send(topic, b"ok-after-abort")
            # consume-transform-produce: commit a consumer-group offset inside the transaction
            await prod.send_offsets_to_transaction({TopicPartition(src, 0): 42}, group)
    finally:
        await prod.stop()

    rc = consumer(topic, None, isolation_level="read_committed")
    await rc.start()
    try:
        committed_view = [r.value for r in await drain(rc, 4)]
    finally:
        await rc.stop()
    want = [b"ok0", b"ok1", b"ok2", b"ok-after-abort"]
    assert committed_view == want, f"read_committed saw {committed_view}"

    ru = consumer(topic, None, isolation_level="read_uncommitted")
    await ru.start()
    try:
        raw_view = [r.value for r in await drain(ru, 7)]
    finally:
        await ru.stop()
    assert sorted(raw_view) == sorted(want + [f"aborted{i}".encode() for i in range(3)]), raw_view

    c = consumer(src, group)
    await c.start()
    try:
        off = await c.committed(TopicPartition(src, 0))
    finally:
        await c.stop()
    assert off == 42, f"offset committed in transaction is {off}, expected 42"
    return "read_committed saw 4 committed, not the 3 aborted (read_uncommitted saw 7); txn offset commit ok"


async def cleanup() -> None:
    if not CREATED:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.delete_topics(CREATED)
    except Exception as exc:  # cleanup must not hide the results
        print(f"(cleanup: could not delete topics: {exc!r})")
    finally:
        await admin.close()


async def main() -> int:
    checks = [
        ("(a) admin create topic, 3 partitions", check_a_admin),
        ("(b) consumer group, manual commit", check_b_group_manual_commit),
        ("(c) idempotent producer", check_c_idempotent),
        ("(d) transactional producer", check_d_transactions),
    ]
    passed = failed = 0
    print(f"verify_kafka: bootstrap={BOOTSTRAP}")
    for label, fn in checks:
        t0 = time.monotonic()
        try:
            detail = await asyncio.wait_for(fn(), 120)
            passed += 1
            print(f"PASS {label}: {detail} [{time.monotonic() - t0:.1f}s]")
        except Exception as exc:
            failed += 1
            print(f"FAIL {label}: {exc!r} [{time.monotonic() - t0:.1f}s]")
            traceback.print_exc()
    await cleanup()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
