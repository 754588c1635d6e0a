"""Loading and saving CPI's aggregates, mapping table rows to domain values."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlmodel import Session

from cpi.domain.clients import ClientVersion
from cpi.domain.ledger import MonthLines
from cpi.store.ledger import COLUMNS
from cpi.store.tables import Client, LedgerRow


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> ClientVersion | None:
        row = self.session.get(Client, client_id)
        return None if row is None else _to_domain(row)

    def save(self, client: ClientVersion) -> None:
        row = self.session.get(Client, client.client_id) or Client(
            client_id=client.client_id, name="", status="", as_of=client.as_of, digest=client.digest
        )
        row.name, row.status, row.tier = client.name, client.status, client.tier
        row.currency, row.as_of, row.digest = client.currency, client.as_of, client.digest
        self.session.add(row)

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[ClientVersion]:
        query = select(Client).order_by(Client.name, Client.client_id).offset(offset).limit(limit)  # type: ignore[arg-type]
        if status is not None:
            query = query.where(Client.status == status)  # type: ignore[arg-type]
        return [_to_domain(row) for row in self.session.execute(query).scalars()]


def _to_domain(row: Client) -> ClientVersion:
    return ClientVersion(
        client_id=row.client_id,
        name=row.name,
        status=row.status,
        tier=row.tier,
        currency=row.currency,
        as_of=row.as_of,
        digest=row.digest,
    )


@functools.cache
def _month_lines_query(one_client: bool) -> Select[Any]:
    """Built once: a margin judgement runs it per late fact, and building it cost more than
    running it."""
    sums = [func.sum(getattr(LedgerRow, name)) for name in COLUMNS]
    query = (
        select(LedgerRow.client_id, LedgerRow.month, LedgerRow.currency, *sums)  # type: ignore[call-overload]
        .where(LedgerRow.month >= bindparam("first"))
        .where(LedgerRow.month <= bindparam("last"))
        .group_by(LedgerRow.client_id, LedgerRow.month, LedgerRow.currency)
    )
    if one_client:
        query = query.where(LedgerRow.client_id == bindparam("client"))
    return query  # type: ignore[no-any-return]


def client_month_lines(
    session: Session, months: Sequence[str], client_id: str | None = None
) -> dict[tuple[str, str], tuple[MonthLines, str]]:
    """Each client's ledger lines per month (its agreements added up), with its currency."""
    wanted = set(months)
    if not wanted:
        return {}
    params = {"first": min(wanted), "last": max(wanted), "client": client_id}
    out: dict[tuple[str, str], tuple[MonthLines, str]] = {}
    query = _month_lines_query(client_id is not None)
    for client, month, currency, *values in session.execute(query, params):
        if month in wanted:
            out[(client, month)] = (lines_of(values), currency)
    return out


def lines_of(values: Sequence[object]) -> MonthLines:
    """MonthLines from values in ``COLUMNS`` order (None, from an empty sum, as zero)."""
    kwargs = {}
    for name, value in zip(COLUMNS, values, strict=True):
        if name in ("currency_mismatches", "leakage_findings", "lines_matched_by_product"):
            kwargs[name] = int(value or 0)  # type: ignore[call-overload]
        else:
            kwargs[name] = value if value is not None else Decimal(0)
    return MonthLines(**kwargs)  # type: ignore[arg-type]
