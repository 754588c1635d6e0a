"""Technicians (members, resources, agents) with effective-dated labour cost → ``psa.technician.upserted``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from msp_events.types.psa import CostRate, TechnicianUpserted

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    col,
    day,
    flag,
    has,
    ident,
    midnight,
    money,
    opt_day,
    opt_ident,
    opt_moment,
    opt_money,
    opt_number,
    opt_text,
    read_records,
    setting,
    text,
    time_zone,
)
from msp_ingest.rows import FieldError, Row


@dataclass(frozen=True)
class TechnicianColumns:
    id: Cols
    #: display name, or first + last name columns
    name: Cols = ()
    first_name: Cols = ()
    last_name: Cols = ()
    email: Cols = ()
    role: Cols = ()
    time_zone: Cols = ()
    capacity: Cols = ()
    weekly_target: Cols = ()
    in_utilisation: Cols = ()
    hourly_cost: Cols = ()
    #: first work date the current hourly cost applies to; falls back to ``created``
    cost_from: Cols = ()
    created: Cols = ()
    hourly_rate: Cols = ()
    active: Cols = ()
    inactive: Cols = ()
    updated: Cols = ()
    currency: Cols = ()


@dataclass(frozen=True)
class CostHistoryColumns:
    member: Cols
    effective_from: Cols = ("effective_from", "effectiveDate", "effective_date")
    hourly_cost: Cols = ("hourly_cost", "hourlyCost", "cost")
    currency: Cols = ("currency",)


def technician_name(row: Row, c: TechnicianColumns) -> str:
    if has(row, c.name):
        return text(row, c.name)
    first, last = opt_text(row, c.first_name), opt_text(row, c.last_name)
    if first is None and last is None:
        raise FieldError(col(row, c.name or c.first_name), "is missing")
    return " ".join(p for p in (first, last) if p)


def cost_rates(current: CostRate | None, history: list[CostRate]) -> list[CostRate]:
    """Effective-dated rates, oldest first; each ends the day before the next one starts."""
    by_day: dict[date, CostRate] = {r.effective_from: r for r in history}
    if current is not None:
        earlier = by_day.get(current.effective_from)
        if earlier is not None and earlier.hourly_cost != current.hourly_cost:
            raise FieldError(
                "hourly_cost",
                f"{current.hourly_cost} from {current.effective_from} contradicts the cost history "
                f"({earlier.hourly_cost} from the same day)",
            )
        by_day[current.effective_from] = current
    ordered = [by_day[d] for d in sorted(by_day)]
    out = []
    for this, following in zip(ordered, [*ordered[1:], None], strict=True):
        end = None if following is None else following.effective_from - timedelta(days=1)
        out.append(
            CostRate(effective_from=this.effective_from, effective_to=end, hourly_cost=this.hourly_cost)
        )
    return out


class TechnicianImport:
    """Members/resources/agents. The current hourly cost applies from ``cost_from`` (else the date
    the record was created); ``--set cost_history=FILE`` (member id, effective_from, hourly_cost,
    currency) adds the earlier rates, so hours worked before a raise keep their old cost."""

    def __init__(
        self, source: str, columns: TechnicianColumns, history: CostHistoryColumns, options: Options
    ) -> None:
        self.source = source
        self.columns = columns
        self.history_columns = history
        self.options = options
        self._history: dict[str, list[tuple[Row, CostRate]]] | None = None
        self._errors: dict[str | None, list[FieldError]] = {}

    def rows(self, path: Path) -> Iterator[Row]:
        return read_records(path)

    def _load(self) -> dict[str, list[tuple[Row, CostRate]]]:
        if self._history is None:
            self._history = {}
            path = setting(self.options, "cost_history")
            if path:
                h = self.history_columns
                for row in read_records(Path(path)):
                    member = opt_ident(row, h.member) if has(row, h.member) else None
                    try:
                        if member is None:
                            raise FieldError(col(row, h.member), "is missing")
                        rate = CostRate(
                            effective_from=day(row, h.effective_from),
                            hourly_cost=money(
                                row, h.hourly_cost, h.currency, self.options, minimum=Decimal(0)
                            ),
                        )
                    except FieldError as exc:
                        # rejects the member it belongs to (every member when the id itself is
                        # missing): a rate must never silently go missing from a cost history
                        at = f"cost history at {Path(row.file).name} line {row.line}"
                        self._errors.setdefault(member, []).append(
                            FieldError(exc.field, f"{exc.reason} ({at})")
                        )
                        continue
                    self._history.setdefault(member, []).append((row, rate))
        return self._history

    def convert(self, row: Row) -> Iterator[Fact]:
        c = self.columns
        member = ident(row, c.id)
        updated = opt_moment(row, c.updated)
        current = None
        if has(row, c.hourly_cost):
            start = opt_day(row, c.cost_from) or opt_day(row, c.created)
            if start is None:
                raise FieldError(
                    col(row, c.cost_from or c.created),
                    "is missing: the date the hourly cost took effect is needed to cost hours by work date",
                )
            cost = money(row, c.hourly_cost, c.currency, self.options, minimum=Decimal(0))
            current = CostRate(effective_from=start, hourly_cost=cost)
        history = [rate for _, rate in self._load().get(member, [])]
        errors = self._errors.get(member, []) + self._errors.get(None, [])
        if errors:
            raise errors[0]
        if current is not None and history and not has(row, c.cost_from):
            # no effective date on the record (Autotask): the cost history dates the current cost,
            # whose latest rate it must be; the hire date would put it before the history's rates
            latest = max(history, key=lambda rate: rate.effective_from)
            if latest.hourly_cost != current.hourly_cost:
                raise FieldError(
                    col(row, c.hourly_cost),
                    f"{current.hourly_cost} has no effective date and the cost history's latest rate "
                    f"is {latest.hourly_cost} from {latest.effective_from}: add the date it took effect "
                    "to the cost history",
                )
            current = latest
        capacity = opt_number(row, c.capacity) or Decimal(setting(self.options, "daily_capacity") or "8")
        if not Decimal(0) < capacity <= Decimal(24):
            raise FieldError(col(row, c.capacity), f"{capacity} hours a day is not between 0 and 24")
        active = True
        if flag(row, c.active) is False or flag(row, c.inactive) is True:
            active = False
        try:
            rates = cost_rates(current, history)
        except FieldError as exc:
            raise FieldError(col(row, c.hourly_cost), exc.reason) from None
        technician = TechnicianUpserted(
            technician_id=member,
            name=technician_name(row, c),
            email=opt_text(row, c.email),
            work_role=text(row, c.role),
            time_zone=time_zone(row, c.time_zone),
            daily_capacity_hours=capacity,
            weekly_billable_hours_target=opt_number(row, c.weekly_target, minimum=Decimal(0)),
            include_in_utilisation=flag(row, c.in_utilisation) is not False,
            cost_rates=rates,
            hourly_rate=opt_money(row, c.hourly_rate, c.currency, self.options, minimum=Decimal(0)),
            active=active,
            updated_at=updated,
        )
        # the record's own time: last change, else creation, else the first cost date; an export
        # with none of them gets a fixed time so re-imports still keep their ids
        first = technician.cost_rates[0].effective_from if technician.cost_rates else None
        created = opt_day(row, c.created) or first or date(1970, 1, 1)
        yield Fact(technician, updated or midnight(created))
