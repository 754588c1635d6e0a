"""Rows that many messages of a batch change, merged in memory and written with one read and one upsert.

The busiest facts (ticket states, seat activity, inventories) each change one row of a "latest
known state" table. Done message by message that is an ORM read and a flush per message: most of
an agent's time on a backlog. Held here instead, the batch's messages are merged in message order
into the stored rows (read once, one ``SELECT … IN``) and the rows that changed are written with one
``INSERT … ON CONFLICT DO UPDATE``. The merge is the same function either way, so the table ends
exactly as if every message had been handled alone; a handler that reads the table flushes it first
(``Batch.flush(session, name)``), and a batch that does not defer (a replay after a failure) writes
each message's change at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlmodel import Session

from msp_events.runtime.store import insert_for
from msp_events.runtime.uow import UnitOfWork

Row = dict[str, Any]
Merge = Callable[[Row | None], Row | None]
"""The stored row (``None``: none yet) → the row to keep (``None`` or the same values: no change)."""

READ_CHUNK = 500


@dataclass
class MergedRows:
    """One table's held changes for one batch (``UnitOfWork.batch.deferred``)."""

    table: Table
    key_columns: tuple[str, ...]
    held: list[tuple[tuple[Any, ...], Merge]] = field(default_factory=list)

    def flush(self, session: Session) -> None:
        held, self.held = self.held, []
        if held:
            write_merged(session, self.table, self.key_columns, held)


def merge_row(
    uow: UnitOfWork, name: str, table: Table, key_columns: tuple[str, ...], key: tuple[Any, ...], merge: Merge
) -> None:
    """Merge into the row ``key`` of ``table``: held for the batch's one write when it defers, else
    written now."""
    held = uow.batch.deferred(name, lambda: MergedRows(table, key_columns))
    if held is not None:
        held.held.append((key, merge))
        return
    write_merged(uow.session, table, key_columns, [(key, merge)])


def stored_rows(
    session: Session, table: Table, key_columns: tuple[str, ...], keys: Iterable[Hashable]
) -> dict[tuple[Any, ...], Row]:
    """The stored rows of ``keys`` (tuples of the key columns' values), read in chunks."""
    wanted = sorted(set(keys))  # type: ignore[type-var]
    columns = [table.c[name] for name in key_columns]
    found: dict[tuple[Any, ...], Row] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        single = len(columns) == 1
        where = columns[0].in_([k[0] for k in chunk]) if single else tuple_(*columns).in_(chunk)  # type: ignore[index]
        for row in session.execute(select(table).where(where)).mappings():
            found[tuple(row[name] for name in key_columns)] = dict(row)
    return found


def write_merged(
    session: Session,
    table: Table,
    key_columns: tuple[str, ...],
    held: list[tuple[tuple[Any, ...], Merge]],
) -> None:
    """Apply ``held`` in order to the stored rows; upsert the rows that changed, in key order.

    The session's pending ORM changes are written first (a handler may have changed one of these rows
    through the ORM), and ORM objects of the table that the session already holds are expired after
    (the next read through the ORM sees what was written here, not its stale copy)."""
    session.flush()
    current: dict[tuple[Any, ...], Row | None] = dict(
        stored_rows(session, table, key_columns, (k for k, _ in held))
    )
    changed: dict[tuple[Any, ...], Row] = {}
    for key, merge in held:
        before = current.get(key)
        after = merge(None if before is None else dict(before))
        if after is not None and after != before:
            current[key] = changed[key] = after
    if changed:
        upsert(session, table, key_columns, [changed[k] for k in sorted(changed)])
        for instance in list(session.identity_map.values()):
            if getattr(type(instance), "__table__", None) is table:
                session.expire(instance)


def upsert(
    session: Session, table: Table, key_columns: tuple[str, ...], rows: list[Mapping[str, Any]]
) -> None:
    """One ``INSERT … ON CONFLICT (key) DO UPDATE`` of every other column, for both dialects."""
    if not rows:
        return
    insert = insert_for(session.get_bind().dialect.name, table)
    others = [c.name for c in table.columns if c.name not in key_columns]
    statement = insert.on_conflict_do_update(
        index_elements=list(key_columns), set_={name: insert.excluded[name] for name in others}
    )
    session.execute(statement, [dict(r) for r in rows])
