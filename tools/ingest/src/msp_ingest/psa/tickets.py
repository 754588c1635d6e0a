"""Tickets → ``psa.ticket.updated``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from msp_events.types.psa import TicketUpdated

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    Vocab,
    col,
    flag,
    ident,
    moment,
    opt_ident,
    opt_moment,
    opt_number,
    opt_text,
    text,
)
from msp_ingest.rows import FieldError, Row

TicketStatus = Literal["new", "in_progress", "scheduled", "waiting", "resolved", "closed"]
TicketType = Literal["incident", "service_request", "problem", "change", "alert"]
Priority = Literal["p1", "p2", "p3", "p4"]


@dataclass(frozen=True)
class TicketColumns:
    id: Cols
    client: Cols
    board: Cols
    priority: Cols
    priorities: Vocab[Priority]
    status: Cols
    statuses: Vocab[TicketStatus]
    opened: Cols
    updated: Cols = ()
    agreement: Cols = ()
    summary: Cols = ()
    kind: Cols = ()
    kinds: Vocab[TicketType] | None = None
    responded: Cols = ()
    closed: Cols = ()
    respond_by: Cols = ()
    fix_by: Cols = ()
    #: "SLA met" flag (true = met) and/or "SLA breached" flag
    sla_met: Cols = ()
    sla_breached: Cols = ()
    estimated: Cols = ()
    actual: Cols = ()
    skill: Cols = ()
    site: Cols = ()
    assignee: Cols = ()
    vendor: Cols = ()
    csat: Cols = ()
    #: reference values meaning "none" (Halo uses 0 and -1 for no contract/agent)
    none: tuple[str, ...] = ()


CSAT: Vocab[Literal["positive", "neutral", "negative"]] = Vocab(
    "csat",
    ("positive", "neutral", "negative"),
    exact={
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "3": "positive",
        "2": "neutral",
        "1": "negative",
    },
    keywords=(("happy", "positive"), ("good", "positive"), ("sad", "negative"), ("bad", "negative")),
)


def convert_ticket(row: Row, c: TicketColumns, options: Options) -> Iterator[Fact]:
    opened = moment(row, c.opened)
    closed = opt_moment(row, c.closed)
    updated = opt_moment(row, c.updated) or closed or opened
    breached = flag(row, c.sla_breached)
    met = flag(row, c.sla_met)
    responded, respond_by = opt_moment(row, c.responded), opt_moment(row, c.respond_by)
    fix_by = opt_moment(row, c.fix_by)
    if breached is None and met is None:
        # no SLA flag in the export: missed when the response or the fix came after its target
        late_response = responded is not None and respond_by is not None and responded > respond_by
        late_fix = closed is not None and fix_by is not None and closed > fix_by
        breached = late_response or late_fix
    ticket = TicketUpdated(
        ticket_id=ident(row, c.id),
        client_id=ident(row, c.client),
        agreement_id=opt_ident(row, c.agreement, none=c.none),
        summary=opt_text(row, c.summary),
        board=text(row, c.board),
        priority=c.priorities.lookup(row, c.priority, options) or _missing(row, c.priority),
        status=c.statuses.lookup(row, c.status, options) or _missing(row, c.status),
        ticket_type=c.kinds.lookup(row, c.kind, options) if c.kinds else None,
        opened_at=opened,
        responded_at=responded,
        closed_at=closed,
        respond_by=respond_by,
        fix_by=fix_by,
        sla_breached=bool(breached) or met is False,
        estimated_hours=opt_number(row, c.estimated, minimum=Decimal(0)),
        actual_hours=opt_number(row, c.actual, minimum=Decimal(0)),
        required_skill=opt_text(row, c.skill),
        site_id=opt_ident(row, c.site, none=c.none),
        assigned_technician_id=opt_ident(row, c.assignee, none=c.none),
        product_vendor=opt_text(row, c.vendor),
        csat_rating=CSAT.lookup(row, c.csat, options),
        updated_at=updated,
    )
    yield Fact(ticket, updated)


def _missing(row: Row, cols: Cols) -> Any:
    raise FieldError(col(row, cols), "is missing")
