"""Platform events: the clock that is the only source of "now" for time-based rules."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from msp_events.registry import SERVICES, EventData, event


@event("clock.ticked", owner="platform", key="clock", consumers=SERVICES, partitions=1)
class ClockTicked(EventData):
    """Time has advanced to ``now``.

    Handlers never read the wall clock: time-based rules (renewal notice windows, month ends,
    retraining schedules) act on the latest tick, so a replay of the log reproduces the same
    decisions. A late tick (earlier than one already seen) never moves a service's clock back.
    """

    clock: str = Field(default="utc", description="which clock; one global clock named 'utc'")
    now: AwareDatetime = Field(description="the time the system has reached")
    granularity: str = Field(default="hour", description="tick cadence: minute, hour or day")
