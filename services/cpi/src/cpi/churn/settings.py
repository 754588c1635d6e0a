"""Churn settings (environment variables ``CPI_CHURN_*``), defaults documented in docs/churn.md."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from cpi.domain.churn import BandCutoffs


class ChurnSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPI_CHURN_", frozen=True)

    min_outcomes: int = 30
    """Distinct churned clients the training rows must hold before the model replaces the health score."""
    retrain_months: int = 1
    """Retrain at the first tick of every N-th month."""
    horizon_months: int = 3
    """The probability is of churning within this many months after the scored month."""
    model_high: float = 0.25
    model_medium: float = 0.08
    health_high_below: float = 40.0
    health_medium_below: float = 70.0
    top_signals: int = 3

    @property
    def cutoffs(self) -> BandCutoffs:
        return BandCutoffs(
            self.model_high, self.model_medium, self.health_high_below, self.health_medium_below
        )


@lru_cache(maxsize=1)
def churn_settings() -> ChurnSettings:
    return ChurnSettings()
