"""Loading and saving RAM's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, delete, select

from msp_events.money import Money

from ram.domain.technicians import CostRate, TechnicianVersion
from ram.store.tables import Technician, TechnicianCostRate


class TechnicianRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, technician_id: str) -> TechnicianVersion | None:
        row = self.session.get(Technician, technician_id)
        return None if row is None else _to_domain(row, self._rates([technician_id])[technician_id])

    def save(self, t: TechnicianVersion) -> None:
        row = self.session.get(Technician, t.technician_id) or Technician(
            technician_id=t.technician_id,
            name="",
            work_role="",
            daily_capacity_hours=t.daily_capacity_hours,
            include_in_utilisation=t.include_in_utilisation,
            active=t.active,
            as_of=t.as_of,
            digest="",
        )
        row.name, row.email, row.work_role, row.time_zone = t.name, t.email, t.work_role, t.time_zone
        row.home_latitude, row.home_longitude = t.home_latitude, t.home_longitude
        row.daily_capacity_hours = t.daily_capacity_hours
        row.weekly_billable_hours_target = t.weekly_billable_hours_target
        row.include_in_utilisation, row.active = t.include_in_utilisation, t.active
        row.hourly_rate_amount, row.hourly_rate_currency = (
            (None, None) if t.hourly_rate is None else (t.hourly_rate.amount, t.hourly_rate.currency)
        )
        row.as_of, row.digest = t.as_of, t.digest
        self.session.add(row)
        # The payload carries the full history: replace it rather than merge it.
        self.session.exec(
            delete(TechnicianCostRate).where(col(TechnicianCostRate.technician_id) == t.technician_id)
        )
        self.session.add_all(
            TechnicianCostRate(
                technician_id=t.technician_id,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
                hourly_cost_amount=r.hourly_cost.amount,
                hourly_cost_currency=r.hourly_cost.currency,
            )
            for r in t.cost_rates
        )

    def list(
        self, *, active: bool | None = None, work_role: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[TechnicianVersion]:
        query = (
            select(Technician).order_by(Technician.name, Technician.technician_id).offset(offset).limit(limit)
        )
        if active is not None:
            query = query.where(Technician.active == active)
        if work_role is not None:
            query = query.where(Technician.work_role == work_role)
        rows = list(self.session.exec(query))
        rates = self._rates([row.technician_id for row in rows])
        return [_to_domain(row, rates[row.technician_id]) for row in rows]

    def _rates(self, technician_ids: list[str]) -> dict[str, list[CostRate]]:
        out: dict[str, list[CostRate]] = defaultdict(list)
        query = (
            select(TechnicianCostRate)
            .where(col(TechnicianCostRate.technician_id).in_(technician_ids))
            .order_by(TechnicianCostRate.technician_id, TechnicianCostRate.effective_from)
        )
        for r in self.session.exec(query):
            out[r.technician_id].append(
                CostRate(
                    effective_from=r.effective_from,
                    effective_to=r.effective_to,
                    hourly_cost=Money(amount=r.hourly_cost_amount, currency=r.hourly_cost_currency),
                )
            )
        return out


def _to_domain(row: Technician, rates: list[CostRate]) -> TechnicianVersion:
    rate: Money | None = None
    if row.hourly_rate_amount is not None and row.hourly_rate_currency is not None:
        rate = Money(amount=row.hourly_rate_amount, currency=row.hourly_rate_currency)
    return TechnicianVersion(
        technician_id=row.technician_id,
        name=row.name,
        email=row.email,
        work_role=row.work_role,
        time_zone=row.time_zone,
        home_latitude=row.home_latitude,
        home_longitude=row.home_longitude,
        daily_capacity_hours=row.daily_capacity_hours,
        weekly_billable_hours_target=row.weekly_billable_hours_target,
        include_in_utilisation=row.include_in_utilisation,
        hourly_rate=rate,
        active=row.active,
        cost_rates=tuple(rates),
        as_of=row.as_of,
        digest=row.digest,
    )
