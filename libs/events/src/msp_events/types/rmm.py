"""Facts from the MSP's RMM (Datto RMM, NinjaOne, N-able): the software installed on managed devices."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from msp_events.registry import EventData, event


class InstalledSoftware(BaseModel):
    """One installed application as the RMM software audit lists it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="application name, e.g. 'Adobe Acrobat DC'")
    publisher: str | None = Field(default=None, description="publisher, e.g. 'Adobe Inc.'")
    version: str | None = Field(default=None, description="installed version string")
    installed_on: date | None = Field(default=None, description="install date reported by the OS")


@event(
    "rmm.software.inventoried",
    owner="source",
    key="device_id",
    consumers=("sli",),
    fact_dates=("observed_at",),
)
class SoftwareInventoried(EventData):
    """The RMM audited one device's installed software; the payload is the complete list.

    SLI compares installations with licences held (over-deployment: installed on more devices
    than seats bought), counts devices for per-device products, and spots unmanaged software.
    Being a full list per device, an uninstall shows up as an application no longer listed.
    """

    device_id: str = Field(description="RMM device id (Datto device uid, NinjaOne node id)")
    client_id: str = Field(description="PSA client owning the device (RMM site → PSA company mapping)")
    hostname: str = Field(description="device hostname")
    device_type: Literal["workstation", "laptop", "server", "virtual_machine", "other"] | None = Field(
        default=None, description="device class, for per-device licence and pricing counts"
    )
    os_name: str | None = Field(default=None, description="operating system, e.g. 'Windows 11 Pro 23H2'")
    last_logged_in_user: str | None = Field(
        default=None, description="last interactive user (UPN or DOMAIN\\user), to tie a device to a seat"
    )
    software: list[InstalledSoftware] = Field(default_factory=list, description="every installed application")
    observed_at: AwareDatetime = Field(description="when the audit ran")
