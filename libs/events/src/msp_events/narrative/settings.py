"""``NARRATIVE_*`` / ``BEDROCK_*``: which writer words the agents' narratives, and its limits."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NarrativeSettings(BaseSettings):
    """Off by default: the deterministic template writer needs no account, no network, no spend."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    writer: Literal["template", "bedrock"] = Field(
        default="template", alias="NARRATIVE_WRITER", description="bedrock: Amazon Bedrock (Converse API)"
    )
    prompts_dir: str | None = Field(
        default=None,
        alias="NARRATIVE_PROMPTS_DIR",
        description="a folder of <kind>.md prompts that replaces the packaged ones (review them like code)",
    )
    bedrock_model_id: str | None = Field(
        default=None, alias="BEDROCK_MODEL_ID", description="a model or inference-profile id"
    )
    bedrock_region: str | None = Field(default=None, alias="BEDROCK_REGION")
    max_tokens: int = Field(default=600, alias="BEDROCK_MAX_TOKENS", ge=16, le=8192)
    temperature: float = Field(default=0.2, alias="BEDROCK_TEMPERATURE", ge=0, le=1)
    timeout_s: float = Field(
        default=20.0, alias="BEDROCK_TIMEOUT_S", gt=0, description="per call: connect and read"
    )
    max_attempts: int = Field(default=3, alias="BEDROCK_MAX_ATTEMPTS", ge=1, le=10)
    backoff_s: float = Field(
        default=0.5, alias="BEDROCK_BACKOFF_S", ge=0, description="doubled after each retried failure"
    )

    @model_validator(mode="after")
    def _bedrock_needs_a_model(self) -> Self:
        if self.writer == "bedrock" and not self.bedrock_model_id:
            raise ValueError(
                "NARRATIVE_WRITER=bedrock needs BEDROCK_MODEL_ID (a model or inference-profile id)"
            )
        return self
