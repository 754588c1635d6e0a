"""Facts from the PSA dispatch board: on-site visits that need a technician on a route."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from msp_events.registry import EventData, event
from msp_events.types.common import Latitude, Longitude, Priority


@event("dispatch.visit.requested", owner="source", key="visit_id", consumers=("ram",), minor=2)
class VisitRequested(EventData):
    """An on-site visit was requested (or its window/duration changed; re-sent with the same id).

    RAM solves the routing problem (vehicle routing with time windows): hard constraints are the
    time window, duration and required skill, the soft objective is travel time plus the cost of
    the technician sent. Location and window are in the payload so no lookup is needed to plan.
    Since 1.2 ``remote_possible`` marks work that can be done remotely: on a client's falling
    margin RAM may recommend a remote slot instead of the trip.
    """

    visit_id: str = Field(description="visit/schedule-entry id (CW schedule entry, AT service call)")
    client_id: str = Field(description="client visited")
    ticket_id: str | None = Field(default=None, description="ticket the visit works on, if any")
    agreement_id: str | None = Field(
        default=None, description="agreement the work is charged to (covered vs billable changes the margin)"
    )
    site_id: str | None = Field(default=None, description="client site id")
    site_name: str = Field(description="site name, e.g. 'Head office'")
    address: str | None = Field(default=None, description="street address, one line")
    latitude: Latitude = Field(description="site latitude")
    longitude: Longitude = Field(description="site longitude")
    window_start: AwareDatetime = Field(description="earliest time work may start")
    window_end: AwareDatetime = Field(description="latest time work must be finished")
    duration_minutes: int = Field(gt=0, le=24 * 60, description="expected time on site")
    required_skill: str | None = Field(default=None, description="skill the technician must hold")
    priority: Priority = Field(description="p1 (emergency) .. p4 (planned)")
    status: Literal["requested", "cancelled"] = Field(
        default="requested", description="cancelled: re-sent with the same id when the visit is called off"
    )
    remote_possible: bool = Field(
        default=False,
        description="the work can be done remotely instead of on site (1.2; PSA remote-eligible flag): RAM "
        "may recommend a remote slot, saving the travel",
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self
