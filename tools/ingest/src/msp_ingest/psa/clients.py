"""Clients (companies, accounts, areas) → ``psa.client.upserted``: relationship status from the
company type, then the active flag or status.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from msp_events.types.psa import ClientUpserted

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    Vocab,
    col,
    country,
    day,
    flag,
    has,
    ident,
    midnight,
    opt_day,
    opt_ident,
    opt_moment,
    opt_number,
    opt_text,
    text,
)
from msp_ingest.rows import Row, parse_currency

ClientStatus = Literal["prospect", "active", "inactive", "churned"]


@dataclass(frozen=True)
class ClientColumns:
    id: Cols
    name: Cols
    created: Cols
    #: company type (Client / Prospect / Former Client ...) → relationship status
    kind: Cols = ()
    kinds: Vocab[ClientStatus] | None = None
    #: status text → active / inactive (read only while the type says active)
    status: Cols = ()
    statuses: Vocab[ClientStatus] | None = None
    active: Cols = ()
    inactive: Cols = ()
    tier: Cols = ()
    industry: Cols = ()
    employees: Cols = ()
    address: Cols = ()
    city: Cols = ()
    state: Cols = ()
    postal: Cols = ()
    country: Cols = ()
    manager_id: Cols = ()
    manager_name: Cols = ()
    currency: Cols = ()
    churned_on: Cols = ()
    churn_reason: Cols = ()
    updated: Cols = ()


def client_status(row: Row, c: ClientColumns, options: Options) -> ClientStatus:
    status: ClientStatus = (c.kinds.lookup(row, c.kind, options) if c.kinds else None) or "active"
    if status == "active":
        if c.statuses is not None:
            status = c.statuses.lookup(row, c.status, options) or status
        if flag(row, c.active) is False or flag(row, c.inactive) is True:
            status = "inactive"
    if has(row, c.churned_on) and status in ("active", "inactive"):
        status = "churned"
    return status


def convert_client(row: Row, c: ClientColumns, options: Options) -> Iterator[Fact]:
    created = day(row, c.created)
    updated = opt_moment(row, c.updated)
    employees = opt_number(row, c.employees, minimum=Decimal(0))
    currency = parse_currency(row, col(row, c.currency)) if has(row, c.currency) else options.currency
    client = ClientUpserted(
        client_id=ident(row, c.id),
        name=text(row, c.name),
        status=client_status(row, c, options),
        tier=opt_text(row, c.tier),
        industry=opt_text(row, c.industry),
        employee_count=None if employees is None else int(employees),
        address_line1=opt_text(row, c.address),
        city=opt_text(row, c.city),
        state=opt_text(row, c.state),
        postal_code=opt_text(row, c.postal),
        country=country(row, c.country),
        account_manager_id=opt_ident(row, c.manager_id),
        account_manager_name=opt_text(row, c.manager_name),
        currency=currency,
        created_on=created,
        churned_on=opt_day(row, c.churned_on),
        churn_reason=opt_text(row, c.churn_reason),
        updated_at=updated,
    )
    yield Fact(client, updated or midnight(created))
