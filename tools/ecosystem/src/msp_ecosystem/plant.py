"""Planted open work, so rule 1 has something to re-plan when a client's margin falls.

RAM answers ``client.profitability.changed`` (down) by moving the client's *open* tickets to cheaper
qualified technicians. A small simulated MSP closes its tickets within days, so at the month close
where CPI reports a drop there is often nothing open to move, and the rule, though it ran, has no
output. The plant gives every client one long-running ticket held by a senior technician, with a
junior one who could take it, all dated on the log's first day: from then on any client whose
margin falls has work RAM can move, with a saving of (senior - junior) x hours. The facts go
through the same agents as the rest of the log (CPI and SPO see the ticket too), in both modes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events import Envelope, eventlog
from msp_events.money import Money
from msp_events.types.psa import ClientUpserted, CostRate, TechnicianUpserted, TicketUpdated

SOURCE = "psa.connectwise"
SENIOR = ("T-PLANT-SENIOR", Decimal(95))
JUNIOR = ("T-PLANT-JUNIOR", Decimal(35))
HOURS = Decimal(6)


def planted_work(events: list[Envelope[Any]]) -> list[Envelope[Any]]:
    """The plant for the clients of ``events`` (a time-ordered log), dated an hour into its first day."""
    clients = sorted({e.data.client_id for e in events if isinstance(e.data, ClientUpserted)})
    if not clients:
        return []
    first = events[0].time
    at = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=1)
    currency = next(
        (e.data.currency for e in events if isinstance(e.data, ClientUpserted) and e.data.currency), "USD"
    )
    out: list[Envelope[Any]] = []
    for tid, cost in (SENIOR, JUNIOR):
        data = TechnicianUpserted(
            technician_id=tid,
            name=f"Planted {tid.rsplit('-', 1)[-1].title()}",
            work_role="Engineer",
            daily_capacity_hours=Decimal(8),
            cost_rates=[
                CostRate(
                    effective_from=date(at.year, 1, 1), hourly_cost=Money(amount=cost, currency=currency)
                )
            ],
            updated_at=at,
        )
        out.append(Envelope.build(data, source=SOURCE, time=at))
    for client in clients:
        ticket = TicketUpdated(
            ticket_id=f"TK-PLANT-{client}",
            client_id=client,
            board="Projects",
            priority="p4",
            status="in_progress",
            opened_at=at,
            estimated_hours=HOURS,
            assigned_technician_id=SENIOR[0],
            updated_at=at,
        )
        out.append(Envelope.build(ticket, source=SOURCE, time=at))
    return out


def with_planted_work(log: Path, out: Path) -> Path:
    """``log`` with the plant merged in, in event-time order (then id), as a new log."""
    events = list(eventlog.read(log))
    merged = sorted([*events, *planted_work(events)], key=lambda e: (e.time, e.id))
    eventlog.write(merged, out)
    return out
