"""The runtime's own tables (inbox, outbox, clock) and engine set-up for PostgreSQL or SQLite.

They live in each service's database, so the inbox record, the state change and the outbox rows of
one message commit in one transaction. They are SQLAlchemy Core tables because the runtime only
ever inserts and updates them in bulk; services model their own tables with SQLModel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

RUNTIME_METADATA = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the platform stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactNumeric(TypeDecorator[Decimal]):
    """Exact decimals on every backend: NUMERIC(p, s) on PostgreSQL, scaled integers on SQLite.

    SQLite has no decimal type and would store amounts as binary floats (12345678901234.5678 comes
    back as ...5684), which money may never be. As an integer of 10^-scale units the value stays
    exact, sorts correctly and sums correctly in SQL (``func.sum`` keeps this type).
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 4) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision, self.scale = precision, scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> Decimal | int | None:
        if value is None:
            return None
        exact = Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)  # as NUMERIC(p, s) does
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


inbox = Table(
    "inbox",
    RUNTIME_METADATA,
    Column("source", String(255), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("type", String(255), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # what it was about (``client/C-1``): a voter cites the events it read about a subject
    Column("subject", String(255), nullable=True),
)
Index("ix_inbox_type_subject", inbox.c.type, inbox.c.subject)

outbox = Table(
    "outbox",
    RUNTIME_METADATA,
    # Relay order = insertion order, which keeps per-key order for a single relay.
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(255), nullable=False, unique=True),
    Column("type", String(255), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("key", LargeBinary(), nullable=True),
    Column("value", LargeBinary(), nullable=True),
    Column("headers", Text(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True),
)
Index(
    "ix_outbox_pending",
    outbox.c.seq,
    postgresql_where=outbox.c.published_at.is_(None),
    sqlite_where=outbox.c.published_at.is_(None),
)

service_clock = Table(
    "service_clock",
    RUNTIME_METADATA,
    Column("clock", String(64), primary_key=True),
    Column("now", UtcDateTime(), nullable=False),
)


def insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the store's dialect: PostgreSQL in production, SQLite
    in the embedded default (both spell it the same way, from different modules)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` DSNs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy own BEGIN so SAVEPOINTs work (pysqlite's implicit transactions break them)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


# -- consensus (msp_events.runtime.consensus) -------------------------------------------------------
# Every service may propose and vote, so the proposer's bookkeeping ships with the runtime.

consensus_proposal = Table(
    "consensus_proposal",
    RUNTIME_METADATA,
    Column("decision_id", String(255), primary_key=True),
    Column("payload", Text(), nullable=False),  # the DecisionProposed as published (JSON)
    # the proposal's envelope: decision.reached is derived from it, whatever closes the decision
    Column("event_source", String(255), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("correlation_id", String(255), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("outcome", String(16), nullable=True),  # null while open
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("result", Text(), nullable=True),  # the DecisionReached as published (JSON)
)

consensus_ballot = Table(
    "consensus_ballot",
    RUNTIME_METADATA,
    Column("decision_id", String(255), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("voter", String(32), nullable=False),
    Column("vote", String(16), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("confidence", String(32), nullable=True),  # a decimal string, exact on every backend
    Column("evidence", Text(), nullable=False),  # JSON list of event ids
    Column("cast_at", UtcDateTime(), nullable=False),
)
