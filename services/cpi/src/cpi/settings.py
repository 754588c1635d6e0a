"""CPI's settings: the shared runtime settings under CPI's name (env vars, see ServiceSettings),
plus the margin policy (environment variables ``CPI_TARGET_MARGIN_PCT`` … or constructor args)."""

from decimal import Decimal

from pydantic import Field

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "cpi"
    target_margin_pct: Decimal = Field(
        default=Decimal(60), alias="CPI_TARGET_MARGIN_PCT", description="target gross margin, percent"
    )
    band_strong_pct: Decimal = Field(default=Decimal(60), alias="CPI_BAND_STRONG_PCT")
    band_healthy_pct: Decimal = Field(default=Decimal(40), alias="CPI_BAND_HEALTHY_PCT")
    band_thin_pct: Decimal = Field(
        default=Decimal(20), alias="CPI_BAND_THIN_PCT", description="below it: critical (problem client)"
    )
    margin_change_points: Decimal = Field(
        default=Decimal(10),
        alias="CPI_MARGIN_CHANGE_POINTS",
        description="publish when a month's margin is more than this many points from its 3-month mean",
    )
    close_grace_days: int = Field(
        default=5,
        ge=0,
        alias="CPI_CLOSE_GRACE_DAYS",
        description="a month is judged once the clock passes its end plus these days",
    )
    max_drivers: int = Field(default=5, ge=1, alias="CPI_MAX_DRIVERS")
