"""Work deferred to the end of a batch (``UnitOfWork.batch``): faster, and invisible in the outputs.

The service under test keeps a per-client tally as derived state. Each ``psa.client.upserted``
adds one to its client's tally, deferred when the batch allows it; a client named ``report``
flushes the pending tallies and publishes the total it reads. What is published, and the final
state, must not depend on how the messages were cut into batches; a failure inside deferred work
must still be pinned on the one message that caused it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select
from sqlmodel import Session

from msp_events import Envelope, Money
from msp_events.codec.errors import Reason
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.batch import BatchApplier, BatchPolicy
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.migrations import upgrade
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.store import make_engine, outbox
from msp_events.runtime.transport import Record
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TALLY = "tally"

metadata = MetaData()
tallies = Table(
    "tallies",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
)


class Tally:
    """Pending increments, written with one read and one write per client at flush."""

    def __init__(self) -> None:
        self.increments: Counter[str] = Counter()

    def flush(self, session: Session) -> None:
        FLUSHES.append(sum(self.increments.values()))
        for client_id, n in sorted(self.increments.items()):
            if client_id.startswith("bad"):
                raise ValueError(f"cannot tally {client_id}")
            current = session.execute(
                select(tallies.c.n).where(tallies.c.client_id == client_id)
            ).scalar_one_or_none()
            if current is None:
                session.execute(tallies.insert().values(client_id=client_id, n=n))
            else:
                session.execute(
                    tallies.update().where(tallies.c.client_id == client_id).values(n=current + n)
                )


FLUSHES: list[int] = []  # the size of every flush, in order


def tally_router() -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, e: Envelope[ClientUpserted]) -> None:
        if e.data.name == "report":  # reads the derived state: flush first
            uow.batch.flush(uow.session, TALLY)
            total = uow.session.execute(select(tallies.c.n).where(tallies.c.client_id == e.data.client_id))
            uow.emit(_report(e.data.client_id, total.scalar_one_or_none() or 0))
            return
        pending = uow.batch.deferred(TALLY, Tally)
        if pending is None:  # this batch does not defer: do it now
            pending = Tally()
            pending.increments[e.data.client_id] += 1
            pending.flush(uow.session)
        else:
            pending.increments[e.data.client_id] += 1

    return router


def _report(client_id: str, n: int) -> ClientProfitabilityChanged:
    usd = Money(amount=Decimal(n), currency="USD")
    return ClientProfitabilityChanged(
        client_id=client_id,
        period="2026-05",
        gross_margin_pct=Decimal(0),
        band="critical",
        direction="down",
        revenue=usd,
        cost=usd,
        labour_hours=Decimal(n),
        summary=f"{client_id} seen {n} times",
    )


def _records(names: list[tuple[str, str]]) -> list[Record]:
    out = []
    for i, (client_id, name) in enumerate(names):
        data = ClientUpserted(client_id=client_id, name=name, status="active", created_on=date(2024, 1, 1))
        m = encode_binary(Envelope.build(data, source="psa.test", time=T0 + timedelta(minutes=i)))
        out.append(Record(m.topic, 0, i, m.key, m.value, m.headers))
    return out


def _applier(tmp_path: Path, name: str) -> tuple[BatchApplier, Engine]:
    url = f"sqlite:///{tmp_path}/{name}.db"
    upgrade(url, tmp_path)
    engine = make_engine(url)
    metadata.create_all(engine)
    policy = BatchPolicy(retry_backoff_s=0.0)
    applier = BatchApplier(
        service="cpi", router=tally_router(), engine=engine, metrics=RuntimeMetrics("cpi"), policy=policy
    )
    return applier, engine


def _state(engine: Engine) -> tuple[dict[str, int], list[str]]:
    with engine.connect() as c:
        counts = {r.client_id: r.n for r in c.execute(select(tallies))}
        published = [json.loads(r.value)["summary"] for r in c.execute(select(outbox).order_by(outbox.c.seq))]
    return counts, published


LOG = [
    ("C-1", "a"),
    ("C-2", "b"),
    ("C-1", "c"),
    ("C-1", "report"),
    ("C-2", "d"),
    ("C-1", "e"),
    ("C-2", "report"),
    ("C-1", "f"),
]


def test_deferred_work_runs_once_per_batch_and_a_reader_flushes_it_first(tmp_path: Path) -> None:
    applier, engine = _applier(tmp_path, "whole")
    FLUSHES.clear()
    outcome = applier.apply(_records(LOG))
    assert len(outcome.handled) == len(LOG)
    # three increments before the first report, two before the second, one left at the end
    assert FLUSHES == [3, 2, 1]
    counts, published = _state(engine)
    assert counts == {"C-1": 4, "C-2": 2}
    assert published == ["C-1 seen 2 times", "C-2 seen 2 times"]


def test_outputs_and_state_do_not_depend_on_batch_boundaries(tmp_path: Path) -> None:
    whole, whole_engine = _applier(tmp_path, "whole")
    whole.apply(_records(LOG))
    single, single_engine = _applier(tmp_path, "single")
    records = _records(LOG)
    for record in records:
        single.apply([record])
    assert _state(single_engine) == _state(whole_engine)
    ids = select(outbox.c.event_id).order_by(outbox.c.seq)
    with Session(whole_engine) as s1, Session(single_engine) as s2:
        assert s1.execute(ids).scalars().all() == s2.execute(ids).scalars().all()


def test_a_failure_in_deferred_work_is_pinned_on_its_message(tmp_path: Path) -> None:
    applier, engine = _applier(tmp_path, "failing")
    outcome = applier.apply(_records([("C-1", "a"), ("bad-7", "b"), ("C-1", "c"), ("C-1", "report")]))
    # the report's flush failed first; the batch then ran with every message doing its own work,
    # which pins the failure on bad-7, and the report ran again and succeeded
    assert [(d.reason, d.detail.split(";")[-1].strip()) for d in outcome.dead_letters] == [
        (Reason.HANDLER_FAILED, "last error ValueError: cannot tally bad-7")
    ]
    assert [d.record.offset for d in outcome.dead_letters] == [1]
    counts, published = _state(engine)
    assert counts == {"C-1": 2}  # counted once each, despite the replays
    assert published == ["C-1 seen 2 times"]


HELD = "held"


class Held:
    """Messages whose work (and output) waits for the batch's flush, as CPI's held facts do."""

    def __init__(self) -> None:
        self.uows: list[UnitOfWork] = []

    def flush(self, session: Session) -> None:
        for uow in self.uows:
            uow.emit(_report(uow.cause.data.client_id, 0))


def held_router() -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, e: Envelope[ClientUpserted]) -> None:
        held = uow.batch.deferred(HELD, Held) if e.data.name == "held" else None
        if held is not None:
            held.uows.append(uow)
            return
        if e.data.name != "held":  # emits at once, after what the held messages before it emit
            uow.batch.flush(uow.session, HELD)
        uow.emit(_report(e.data.client_id, 0))

    return router


def test_deferred_work_emits_in_its_message_s_name_and_in_message_order(tmp_path: Path) -> None:
    log = [("C-1", "held"), ("C-2", "held"), ("C-3", "now"), ("C-4", "held"), ("C-5", "held")]
    runs = {}
    for name, batches in (("whole", [_records(log)]), ("single", [[r] for r in _records(log)])):
        applier, engine = _applier(tmp_path, name)
        applier.router = held_router()
        emitted = sum(applier.apply(batch).emitted for batch in batches)
        assert emitted == len(log)
        with engine.connect() as c:
            runs[name] = [
                (r.event_id, json.loads(r.value)["summary"])
                for r in c.execute(select(outbox).order_by(outbox.c.seq))
            ]
    assert [summary.split()[0] for _, summary in runs["whole"]] == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    assert runs["whole"] == runs["single"]  # the same ids: each event is its own message's
