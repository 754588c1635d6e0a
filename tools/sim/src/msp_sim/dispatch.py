"""On-site visits: some hardware, printer and network tickets need a technician at the site.

The visit carries its own location and time window (the next business morning or afternoon for
normal priorities, within hours for P1/P2), so RAM can route without looking anything up.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from msp_events.types.dispatch import VisitRequested

from msp_sim.timeline import LOCAL_TZ, is_business_day, local_to_utc
from msp_sim.world import Client, Site


def visit_for(
    rng: random.Random,
    client: Client,
    site: Site,
    ticket_id: str,
    priority: str,
    requested_at: datetime,
    hours: float,
    skill: str | None,
) -> VisitRequested:
    local = requested_at.astimezone(LOCAL_TZ)
    if priority in ("p1", "p2"):
        start = requested_at + timedelta(hours=rng.choice((1, 2, 3)))
        end = start + timedelta(hours=4)
    else:
        day = local.date() + timedelta(days=1)
        while not is_business_day(day):
            day += timedelta(days=1)
        morning = rng.random() < 0.6
        start = local_to_utc(day, 8 if morning else 13)
        end = local_to_utc(day, 12 if morning else 17)
    minutes = max(30, round(hours * 4) * 15)
    return VisitRequested(
        visit_id=f"V-{ticket_id}",
        client_id=client.client_id,
        ticket_id=ticket_id,
        agreement_id=client.agreement.agreement_id,
        site_id=site.site_id,
        site_name=site.name,
        address=f"{site.address}, {site.city}, {site.state} {site.postal_code}",
        latitude=site.latitude,
        longitude=site.longitude,
        window_start=start,
        window_end=max(end, start + timedelta(minutes=minutes)),
        duration_minutes=min(minutes, 8 * 60),
        required_skill=skill,
        priority=priority,
    )
