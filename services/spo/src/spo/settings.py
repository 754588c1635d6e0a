"""SPO's settings: the shared runtime settings under SPO's name (env vars, see ServiceSettings),
plus the sales desk's rules (``SPO_STAGE_BASE_RATES`` ... or constructor args)."""

from decimal import Decimal

from pydantic import Field

from msp_events.runtime.settings import ServiceSettings

from spo.domain.winprob import MIN_CLOSED_DEALS, STAGE_BASE_RATES


class Settings(ServiceSettings):
    service_name: str = "spo"
    stage_base_rates: dict[str, Decimal] = Field(
        default_factory=lambda: dict(STAGE_BASE_RATES),
        alias="SPO_STAGE_BASE_RATES",
        description='win rate per stage until the model can learn, JSON, e.g. {"proposed": "0.45"}',
    )
    min_closed_deals: int = Field(
        default=MIN_CLOSED_DEALS,
        ge=10,
        alias="SPO_MIN_CLOSED_DEALS",
        description="closed deals needed before the learned model replaces the stage base rates",
    )
    tax_pct: Decimal = Field(
        default=Decimal(0), ge=0, le=100, alias="SPO_TAX_PCT", description="proposal tax, %"
    )
    licence_wait_days: int = Field(
        default=2, ge=0, alias="SPO_LICENCE_WAIT_DAYS", description="days a proposal waits for SLI's answer"
    )
    model_seed: int = Field(default=0, alias="SPO_MODEL_SEED", description="seed of folds and boosting")
