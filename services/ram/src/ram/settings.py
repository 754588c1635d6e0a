"""RAM's settings: the shared runtime settings under RAM's name (env vars, see ServiceSettings)."""

from datetime import time
from decimal import Decimal

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "ram"
    shift_start: time = time(8, 0)
    """Default shift of a technician on a planned day (UTC clock time; the PSA sends no shifts)."""
    shift_end: time = time(17, 0)
    travel_speed_kmh: float = 40.0
    cost_per_km: Decimal = Decimal("0.45")
    penalty_per_priority: Decimal = Decimal("150")
    """Drop penalty of an optional visit per priority point (p2 = 3, p3 = 2, p4 = 1; p1 is required)."""
    route_iterations: int = 200
    """Search budget of a service plan (PyVRP iterations; OR-Tools gets a tenth as solutions): a
    budget of work, not of seconds, so a replay publishes the same plan."""
    route_time_cap_s: float = 20.0
    utilisation_under_pct: Decimal = Decimal(60)
    utilisation_target_low_pct: Decimal = Decimal(75)
    utilisation_target_high_pct: Decimal = Decimal(85)
    forecast_under_lookahead_days: int = 2
    """A forecast under-used alert only in a period's last working days (earlier, unbooked work
    would make everyone look idle); over-booking is foreseen whenever it shows."""
    assignment_currency: str = "USD"
    """Technicians whose cost rate is in another currency are not assigned by the service."""
    assignment_search_work: float = 5.0
    """CP-SAT deterministic time per assignment run: a budget of work, not seconds, so a replay
    stores the same assignments."""
    assignment_time_cap_s: float = 30.0
    """Safety cap in seconds (far above what the work budget takes on the service's loads)."""
    recommendation_horizon_days: int = 30
    solve_api_time_cap_s: float = 10.0
    """``POST /plans/solve`` never searches longer than this, whatever the request asks."""
