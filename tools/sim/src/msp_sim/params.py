"""What a simulation run is asked to produce (the CLI's options, as one value)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from msp_sim.timeline import add_months


@dataclass(frozen=True)
class Params:
    """Size and seed of one simulated MSP.

    ``start`` is moved to the first of its month: the simulation works in whole months (billing,
    budgets and licence syncs are monthly), and ``end`` is the last simulated day.
    """

    seed: int = 1
    clients: int = 40
    technicians: int = 8
    months: int = 12
    start: date = field(default_factory=lambda: date(2025, 1, 1))
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.clients < 1:
            raise ValueError("--clients must be at least 1")
        if self.technicians < 1:
            raise ValueError("--technicians must be at least 1")
        if self.months < 1:
            raise ValueError("--months must be at least 1")
        object.__setattr__(self, "start", self.start.replace(day=1))

    @property
    def end(self) -> date:
        """Last simulated day (inclusive)."""
        return date.fromordinal(add_months(self.start, self.months).toordinal() - 1)

    def month_starts(self) -> list[date]:
        return [add_months(self.start, i) for i in range(self.months)]
