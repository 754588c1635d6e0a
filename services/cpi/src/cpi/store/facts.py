"""Reading and writing a batch's single-row facts (time entries, licence findings) set-wise.

A batch of facts costs one ``SELECT`` of the rows they may replace and one upsert per table,
instead of a read and a write per message. The upsert is ``INSERT … ON CONFLICT (key) DO UPDATE``;
PostgreSQL and SQLite (3.24+) both have it, but SQLAlchemy builds it from each dialect's own
``insert``, hence the branch. Which version of a fact wins (the later ``(as_of, digest)``) is
decided by the caller, message by message, before anything is written: the rows given here are
the winners.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Insert, Table, select
from sqlmodel import Session

from msp_events.runtime.store import insert_for

from cpi.store.tables import LicenceLeakage, TimeEntry

TIME_ENTRIES: Table = TimeEntry.__table__  # type: ignore[attr-defined]
LICENCE_LEAKAGE: Table = LicenceLeakage.__table__  # type: ignore[attr-defined]
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "time_entries": ("time_entry_id",),
    "licence_leakage": ("violation_id", "month"),
}
TABLES = {"time_entries": TIME_ENTRIES, "licence_leakage": LICENCE_LEAKAGE}


class Stored(NamedTuple):
    """What deciding a newer version and marking the keys it leaves needs of a stored fact."""

    client_id: str
    agreement_id: str
    month: str
    as_of: datetime
    digest: str


def stored(session: Session, table: str, keys: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], Stored]:
    """The stored rows of ``table`` with these primary keys (one statement; the first key column
    selects, the rest are matched here)."""
    wanted = set(keys)
    if not wanted:
        return {}
    t = TABLES[table]
    pk = [t.c[name] for name in PRIMARY_KEYS[table]]
    query = select(*pk, t.c.client_id, t.c.agreement_id, t.c.month, t.c.as_of, t.c.digest).where(
        pk[0].in_(sorted({k[0] for k in wanted}))
    )
    out: dict[tuple[str, ...], Stored] = {}
    for row in session.execute(query):
        key = tuple(row[: len(pk)])
        if key in wanted:
            out[key] = Stored(*row[len(pk) :])
    return out


def upsert(session: Session, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (whole rows), replacing any stored row with the same primary key."""
    if rows:
        session.connection().execute(_upsert(session.get_bind().dialect.name, table), list(rows))


@functools.cache
def _upsert(dialect: str, table: str) -> Insert:
    """Built once per dialect and table (its compiled form is then cached by SQLAlchemy)."""
    t = TABLES[table]
    insert = insert_for(dialect, t)
    columns = [c.name for c in t.columns if c.name not in PRIMARY_KEYS[table]]
    return insert.on_conflict_do_update(
        index_elements=list(PRIMARY_KEYS[table]),
        set_={name: insert.excluded[name] for name in columns},
    )
