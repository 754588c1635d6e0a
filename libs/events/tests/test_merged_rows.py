"""Rows merged across a batch (``msp_events.runtime.merged_rows``) end as if each message wrote alone.

The merge below is order-sensitive on purpose (it appends to a trail), so holding the changes and
writing them once must apply them in message order, across chunked reads and on both dialects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlmodel import Session

from msp_events import Envelope
from msp_events.runtime.merged_rows import READ_CHUNK, merge_row
from msp_events.runtime.store import normalise_url
from msp_events.runtime.uow import Batch, UnitOfWork
from msp_events.types.psa import ClientUpserted

metadata = MetaData()
trails = Table(
    "trails",
    metadata,
    Column("site", String(16), primary_key=True),
    Column("device", Integer, primary_key=True),
    Column("trail", String(4000), nullable=False),
    Column("seen", Integer, nullable=False),
)
KEY = ("site", "device")
CAUSE = Envelope.build(
    ClientUpserted(client_id="C1", name="Acme", status="active", created_on=date(2024, 1, 1)),
    source="psa.test",
    time=datetime(2026, 5, 1, tzinfo=UTC),
)


def _append(step: str) -> Any:
    def merge(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if step == "same" and row is not None:
            return dict(row)  # no change: nothing to write
        row = row or {"trail": "", "seen": 0}
        return {**row, "trail": f"{row['trail']}{step},", "seen": row["seen"] + 1}

    return merge


def _steps() -> list[tuple[tuple[str, int], str]]:
    """Several changes per key, interleaved, over more keys than one read chunk holds."""
    keys = [(f"s{i % 3}", i) for i in range(READ_CHUNK + 40)]
    steps = [(k, f"a{i}") for i, k in enumerate(keys)]
    steps += [(k, f"b{i}") for i, k in enumerate(reversed(keys[:60]))]
    steps += [(keys[7], "same"), (keys[7], "c"), (keys[7], "same")]
    return steps


def _key_row(key: tuple[str, int]) -> dict[str, Any]:
    return {"site": key[0], "device": key[1]}


def _run(url: str, deferring: bool, batches: int) -> list[tuple[Any, ...]]:
    engine = create_engine(normalise_url(url))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    steps = _steps()
    size = -(-len(steps) // batches)
    for start in range(0, len(steps), size):
        with Session(engine) as session:
            batch = Batch(deferring=deferring)
            for key, step in steps[start : start + size]:
                uow = UnitOfWork(session, CAUSE, "test", batch)
                merge = _append(step)
                merge_row(uow, "trails", trails, KEY, key, lambda row, m=merge, k=key: _keyed(m(row), k))
            batch.flush(session)
            session.commit()
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(select(trails).order_by(trails.c.site, trails.c.device))]
    metadata.drop_all(engine)
    engine.dispose()
    return rows


def _keyed(row: dict[str, Any] | None, key: tuple[str, int]) -> dict[str, Any] | None:
    return None if row is None else {**_key_row(key), **row}


def _expected() -> list[tuple[Any, ...]]:
    trail: dict[tuple[str, int], list[str]] = {}
    for key, step in _steps():
        if step != "same":
            trail.setdefault(key, []).append(step)
    return [(k[0], k[1], "".join(f"{s}," for s in v), len(v)) for k, v in sorted(trail.items())]


@pytest.mark.parametrize(("deferring", "batches"), [(False, 1), (True, 1), (True, 7)])
def test_held_changes_end_as_if_each_message_wrote_alone(tmp_path, deferring: bool, batches: int) -> None:
    assert _run(f"sqlite:///{tmp_path}/t.db", deferring, batches) == _expected()


@pytest.mark.integration
def test_held_changes_on_postgresql(postgres_url: str) -> None:
    assert _run(postgres_url, True, 3) == _expected()
