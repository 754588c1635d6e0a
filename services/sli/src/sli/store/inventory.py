"""Seat activity and device inventories, written set-wise: a batch's facts in a few statements.

A tenant sync or an RMM scan is thousands of facts, each the full state of one user or device.
Message by message each cost an ORM read of the user's history, a flush and a rewrite of its
assignments. Here a batch's facts are applied in message order to what is stored, read once per
table (``IN`` over the batch's users or devices), and what changed is written back with one upsert
per table, one delete and one insert of the assignments: the tables end exactly as if each fact had
been written alone (the rules below are the per-fact rules, applied in the same order).

Rules: the newest version of a user or device wins, ties broken by digest; a snapshot older than
the user's latest still joins its history and can move a holding's start back; two reads at one
instant keep the larger content; a user's assignments are its latest snapshot's licences, each held
since the start of its unbroken run of snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, tuple_
from sqlmodel import Session

from msp_events.runtime.merged_rows import upsert
from msp_events.runtime.store import insert_for
from msp_events.types.licensing import SeatActivity
from msp_events.types.rmm import SoftwareInventoried

from sli.store.tables import (
    Device,
    DeviceSoftware,
    DirtyClient,
    SeatAssignment,
    SeatSnapshot,
    SeatUser,
    TenantBaseline,
)

CHUNK = 500

SEAT_USERS: Table = SeatUser.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = SeatSnapshot.__table__  # type: ignore[attr-defined]
ASSIGNMENTS: Table = SeatAssignment.__table__  # type: ignore[attr-defined]
BASELINES: Table = TenantBaseline.__table__  # type: ignore[attr-defined]
DEVICES: Table = Device.__table__  # type: ignore[attr-defined]
SOFTWARE: Table = DeviceSoftware.__table__  # type: ignore[attr-defined]
DIRTY: Table = DirtyClient.__table__  # type: ignore[attr-defined]


def newer(as_of: datetime, digest: str, row_as_of: datetime, row_digest: str) -> bool:
    return (as_of, digest) > (row_as_of, row_digest)


def holdings(text: str) -> dict[str, str | None]:
    """A snapshot's licences: ``sku_id<TAB>part`` per line."""
    out: dict[str, str | None] = {}
    for entry in text.splitlines():
        sku, _, part = entry.partition("\t")
        out[sku] = part or None
    return out


def mark_clients_dirty(session: Session, client_ids: Iterable[str]) -> None:
    """Insert-or-ignore: a client already waiting for reconciliation stays one row."""
    rows = [{"client_id": c} for c in sorted(set(client_ids))]
    if rows:
        insert = insert_for(session.get_bind().dialect.name, DIRTY)
        session.execute(insert.on_conflict_do_nothing(), rows)


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


# -- seats -----------------------------------------------------------------------------------------


def write_seats(session: Session, facts: list[tuple[SeatActivity, str]]) -> None:
    """Apply a batch's seat activity (with digests) in order; write what changed."""
    session.flush()  # the ORM's pending rows first: what follows reads and writes with SQL
    user_ids = {s.user_id for s, _ in facts}
    history: dict[str, dict[datetime, str]] = {u: {} for u in user_ids}
    users: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(user_ids):
        for row in session.execute(select(SNAPSHOTS).where(SNAPSHOTS.c.user_id.in_(chunk))).mappings():
            history[row["user_id"]][row["observed_at"]] = row["sku_ids"]
        for row in session.execute(select(SEAT_USERS).where(SEAT_USERS.c.user_id.in_(chunk))).mappings():
            users[row["user_id"]] = dict(row)
    baselines: dict[str, datetime] = {}
    for chunk in _chunks(s.client_id for s, _ in facts):
        for row in session.execute(select(BASELINES).where(BASELINES.c.client_id.in_(chunk))).mappings():
            baselines[row["client_id"]] = row["first_observed_at"]

    snapshots: dict[tuple[str, datetime], str] = {}
    changed_users: dict[str, dict[str, Any]] = {}
    changed_baselines: dict[str, datetime] = {}
    assignments: dict[str, list[dict[str, Any]]] = {}
    dirty: set[str] = set()
    for s, digest in facts:
        held = {} if s.deleted else {lic.sku_id: lic.sku_part_number for lic in s.assigned_licences}
        text = "\n".join(f"{sku}\t{part or ''}" for sku, part in sorted(held.items()))
        kept = history[s.user_id]
        before = kept.get(s.observed_at)
        new_snapshot = before is None
        if before is None or text > before:  # two reads at one instant: the larger content wins
            kept[s.observed_at] = snapshots[(s.user_id, s.observed_at)] = text
        first = baselines.get(s.client_id)
        if first is None or s.observed_at < first:
            baselines[s.client_id] = changed_baselines[s.client_id] = s.observed_at
        user = users.get(s.user_id)
        if user is not None and not newer(s.observed_at, digest, user["observed_at"], user["digest"]):
            if new_snapshot:  # an older snapshot can still move a holding's start back
                assignments[s.user_id] = _assignments(user, kept)
                dirty.add(user["client_id"])
            continue
        if user is not None and user["client_id"] != s.client_id:
            dirty.add(user["client_id"])
        user = {
            "user_id": s.user_id,
            "client_id": s.client_id,
            "user_principal_name": s.user_principal_name,
            "account_enabled": s.account_enabled,
            "deleted": s.deleted,
            "last_sign_in_at": s.last_sign_in_at,
            "idle_days": None
            if s.last_sign_in_at is None
            else max(0, (s.observed_at - s.last_sign_in_at).days),
            "observed_at": s.observed_at,
            "digest": digest,
        }
        users[s.user_id] = changed_users[s.user_id] = user
        assignments[s.user_id] = _assignments(user, kept)
        dirty.add(s.client_id)

    upsert(
        session,
        SNAPSHOTS,
        ("user_id", "observed_at"),
        [{"user_id": u, "observed_at": at, "sku_ids": t} for (u, at), t in sorted(snapshots.items())],
    )
    upsert(session, SEAT_USERS, ("user_id",), [changed_users[u] for u in sorted(changed_users)])
    upsert(
        session,
        BASELINES,
        ("client_id",),
        [{"client_id": c, "first_observed_at": at} for c, at in sorted(changed_baselines.items())],
    )
    for chunk in _chunks(assignments):
        session.execute(delete(ASSIGNMENTS).where(ASSIGNMENTS.c.user_id.in_(chunk)))
    rows = [row for u in sorted(assignments) for row in assignments[u]]
    if rows:
        session.execute(ASSIGNMENTS.insert(), rows)
    mark_clients_dirty(session, dirty)


def _assignments(user: dict[str, Any], history: dict[datetime, str]) -> list[dict[str, Any]]:
    """The user's current licences (its latest snapshot up to its state) with the start of each
    unbroken holding."""
    snapshots = sorted(
        ((at, text) for at, text in history.items() if at <= user["observed_at"]), reverse=True
    )
    if not snapshots or user["deleted"]:
        return []
    out = []
    for sku, part in holdings(snapshots[0][1]).items():
        since = snapshots[0][0]
        for observed_at, text in snapshots[1:]:
            if sku not in holdings(text):
                break
            since = observed_at
        out.append(
            {
                "user_id": user["user_id"],
                "sku_id": sku,
                "client_id": user["client_id"],
                "sku_part_number": part,
                "held_since": since,
            }
        )
    return out


# -- devices ---------------------------------------------------------------------------------------


def write_software(
    session: Session, facts: list[tuple[SoftwareInventoried, str]], software_skus: dict[str, str]
) -> None:
    """Apply a batch's inventories in order; change only the product keys that differ."""
    session.flush()
    device_ids = {s.device_id for s, _ in facts}
    devices: dict[str, dict[str, Any]] = {}
    stored: dict[str, dict[str, str]] = {d: {} for d in device_ids}
    for chunk in _chunks(device_ids):
        for row in session.execute(select(DEVICES).where(DEVICES.c.device_id.in_(chunk))).mappings():
            devices[row["device_id"]] = dict(row)
        query = select(SOFTWARE.c.device_id, SOFTWARE.c.product_key, SOFTWARE.c.client_id).where(
            SOFTWARE.c.device_id.in_(chunk)
        )
        for device_id, key, client_id in session.execute(query):
            stored[device_id][key] = client_id
    current = {d: dict(keys) for d, keys in stored.items()}
    changed: dict[str, dict[str, Any]] = {}
    dirty: set[str] = set()
    for s, digest in facts:
        device = devices.get(s.device_id)
        if device is not None and not newer(s.observed_at, digest, device["observed_at"], device["digest"]):
            continue
        if device is not None and device["client_id"] != s.client_id:
            dirty.add(device["client_id"])
        devices[s.device_id] = changed[s.device_id] = {
            "device_id": s.device_id,
            "client_id": s.client_id,
            "hostname": s.hostname,
            "observed_at": s.observed_at,
            "digest": digest,
        }
        keys = {software_skus.get(app.name, app.name.strip().lower())[:255] for app in s.software}
        current[s.device_id] = {key: s.client_id for key in keys}
        dirty.add(s.client_id)

    upsert(session, DEVICES, ("device_id",), [changed[d] for d in sorted(changed)])
    gone = [
        (d, key)
        for d in sorted(changed)
        for key, client in sorted(stored[d].items())
        if current[d].get(key) != client
    ]
    for start in range(0, len(gone), CHUNK):
        chunk = gone[start : start + CHUNK]
        session.execute(
            delete(SOFTWARE).where(tuple_(SOFTWARE.c.device_id, SOFTWARE.c.product_key).in_(chunk))
        )
    added = [
        {"device_id": d, "product_key": key, "client_id": client}
        for d in sorted(changed)
        for key, client in sorted(current[d].items())
        if stored[d].get(key) != client
    ]
    if added:
        session.execute(SOFTWARE.insert(), added)
    mark_clients_dirty(session, dirty)
