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
        description="publish when the margin of the last CPI_MARGIN_SUSTAIN_MONTHS months, and each of "
        "them, is more than this many points from the revenue-weighted margin of the 3 months before",
    )
    margin_sustain_months: int = Field(
        default=2,
        ge=1,
        alias="CPI_MARGIN_SUSTAIN_MONTHS",
        description="consecutive closed months a move must hold before the trailing-mean trigger fires",
    )
    margin_min_profit_change: Decimal = Field(
        default=Decimal(500),
        ge=0,
        alias="CPI_MARGIN_MIN_PROFIT_CHANGE",
        description="materiality: a trailing-mean move must change those months' profit by at least this "
        "amount (client currency)",
    )
    band_hysteresis_points: Decimal = Field(
        default=Decimal(5),
        ge=0,
        alias="CPI_BAND_HYSTERESIS_POINTS",
        description="a band crossing counts only when the margin is this many points inside the new band",
    )
    band_sustain_months: int = Field(
        default=1,
        ge=1,
        alias="CPI_BAND_SUSTAIN_MONTHS",
        description="consecutive closed months that must each cross out of the settled band before a "
        "band crossing is published",
    )
    close_grace_days: int = Field(
        default=5,
        ge=0,
        alias="CPI_CLOSE_GRACE_DAYS",
        description="a month is judged once the clock passes its end plus these days",
    )
    max_drivers: int = Field(default=5, ge=1, alias="CPI_MAX_DRIVERS")
