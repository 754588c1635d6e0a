"""What every domain generator gets for one month: the world, the plan, an ``emit`` and the
small state carried between months.

Events are serialised as soon as they are emitted (a line of text is a fraction of the size of the
pydantic object), buffered with their sort key, and written when the month is sorted. An event
dated after the month (a ticket closed on the 2nd, a payment 40 days later) stays in the buffer
for the following month; one dated after the end of the run is dropped, as if the log had been
cut at that moment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from msp_events import Envelope, EventData
from msp_events.eventlog import dumps

from msp_sim.params import Params
from msp_sim.problems import Plan
from msp_sim.timeline import period
from msp_sim.world import World

Line = tuple[datetime, str, str, str]
"""(event time, event id, event type, serialised line): sorts by time, then id."""


@dataclass
class ClientMonth:
    """Observed facts of one client in one month, collected as the events are made."""

    tickets_opened: int = 0
    sla_breaches: int = 0
    csat_responses: int = 0
    csat_negative: int = 0
    labour_hours: Decimal = Decimal(0)
    labour_cost: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    days_to_pay: list[int] = field(default_factory=list)


@dataclass
class TechMonth:
    client_hours: Decimal = Decimal(0)
    absence_hours: Decimal = Decimal(0)
    business_days: int = 0


@dataclass
class Observations:
    """Per-entity monthly facts: small (clients x months numbers), used only for the truth file."""

    clients: dict[tuple[str, str], ClientMonth] = field(default_factory=lambda: defaultdict(ClientMonth))
    techs: dict[tuple[str, str], TechMonth] = field(default_factory=lambda: defaultdict(TechMonth))
    spend: dict[str, list[tuple[date, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    contracts: list[dict[str, object]] = field(default_factory=list)
    opportunities: list[dict[str, object]] = field(default_factory=list)

    def client(self, client_id: str, day: date) -> ClientMonth:
        return self.clients[(client_id, period(day))]

    def tech(self, technician_id: str, day: date) -> TechMonth:
        return self.techs[(technician_id, period(day))]


@dataclass
class CarriedState:
    """State that crosses month boundaries: per client, a few numbers each."""

    block_balance: dict[str, Decimal] = field(default_factory=dict)
    block_purchases: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    tm_unbilled: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))


@dataclass
class MonthContext:
    params: Params
    world: World
    plan: Plan
    first: date
    last: date
    index: int
    state: CarriedState
    observed: Observations
    buffer: list[Line]

    @property
    def period(self) -> str:
        return period(self.first)

    @property
    def seed(self) -> int:
        return self.params.seed

    def emit(self, data: EventData, *, source: str, time: datetime) -> bool:
        """Build the envelope (id derived from content) and buffer its line, unless past the end;
        says whether the event is in the log (observations count only what is)."""
        if time.date() > self.params.end:
            return False
        envelope = Envelope.build(data, source=source, time=time)
        self.buffer.append((envelope.time, envelope.id, envelope.type, dumps(envelope)))
        return True

    def active(self, client_id: str, day: date) -> bool:
        """The client is still a client on ``day`` (a churned client stops generating work)."""
        return not self.plan.churned_by(client_id, day)
