"""VCM's settings: the shared runtime settings under VCM's name, plus the desk's rules (env vars)."""

from pydantic import Field

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "vcm"
    reminder_days: tuple[int, ...] = Field(
        default=(120, 90, 60, 30, 7),
        description="REMINDER_DAYS: days before a notice deadline when contract.renewal.due is published",
    )
    max_upload_bytes: int = Field(
        default=700 * 1024, description="MAX_UPLOAD_BYTES: largest file POST /contracts accepts"
    )
