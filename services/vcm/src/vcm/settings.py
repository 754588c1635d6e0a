"""VCM's settings: the shared runtime settings under VCM's name, plus the desk's rules (env vars)."""

from decimal import Decimal

from pydantic import Field

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "vcm"
    reminder_days: tuple[int, ...] = Field(
        default=(120, 90, 60, 30, 7),
        description="REMINDER_DAYS: days before a notice deadline when contract.renewal.due is published",
    )
    consensus_threshold: Decimal = Field(
        default=Decimal(10000),
        description=(
            "CONSENSUS_THRESHOLD: annual value (contract currency) from which DSA, SLI and CPI vote "
            "on a renewal"
        ),
    )
    consensus_vote_days: int = Field(
        default=7, ge=1, description="CONSENSUS_VOTE_DAYS: days the agents have to vote on a renewal"
    )
    max_upload_bytes: int = Field(
        default=700 * 1024, description="MAX_UPLOAD_BYTES: largest file POST /contracts accepts"
    )
