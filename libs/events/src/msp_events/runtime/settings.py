"""Settings from the environment (pydantic-settings), read once by a service's ``app.py``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from msp_events.narrative.settings import NarrativeSettings
from msp_events.runtime.auth import AuthSettings


class KafkaSettings(BaseSettings):
    """``KAFKA_*``: plaintext locally; SASL/SCRAM or MSK IAM (SASL/OAUTHBEARER) over TLS for managed
    clusters. ``KAFKA_SASL_MECHANISM=AWS_MSK_IAM`` signs a token with the pod's AWS credentials
    (``runtime/msk_iam.py``): no password to store."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "AWS_MSK_IAM"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    aws_region: str | None = Field(
        default=None, description="AWS_MSK_IAM: the cluster's region (the token is signed for it)"
    )
    aws_role_arn: str | None = Field(
        default=None, description="AWS_MSK_IAM: a role to assume for the token (default credentials if unset)"
    )
    aws_profile: str | None = Field(default=None, description="AWS_MSK_IAM: a named profile (laptops)")
    ssl_cafile: str | None = Field(default=None, description="CA bundle; the system store when unset")
    topic_prefix: str = Field(
        default="", description="prepended to every topic and consumer group: one cluster, many environments"
    )
    replication_factor: int = Field(default=1, ge=1, description="for topics we create; 3 on MSK")
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to set its name and add its own."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    transport: Literal["kafka", "inprocess"] = Field(default="kafka", alias="MSP_TRANSPORT")
    database_url: str = Field(default="", alias="DATABASE_URL", description="sqlite:///… or postgresql://…")
    http_host: str = Field(default="127.0.0.1", alias="HTTP_HOST")
    http_port: int = Field(default=8000, alias="HTTP_PORT", description="the REST API and the probes")
    metrics_port: int = Field(
        default=9100,
        alias="METRICS_PORT",
        description="Prometheus /metrics, served by the same process on its own port: the scraper may reach "
        "it, API clients need not",
    )
    migrate_on_start: bool = Field(default=True, alias="MIGRATE_ON_START")
    relay_enabled: bool = Field(default=True, alias="RELAY_ENABLED")
    consumer_enabled: bool = Field(default=True, alias="CONSUMER_ENABLED")
    batch_size: int = Field(default=200, alias="CONSUMER_BATCH_SIZE", ge=1)
    max_attempts: int = Field(default=3, alias="HANDLER_MAX_ATTEMPTS", ge=1)
    retry_backoff_s: float = Field(default=0.05, alias="HANDLER_RETRY_BACKOFF_S", ge=0)
    infrastructure_backoff_s: float = Field(default=1.0, alias="INFRASTRUCTURE_BACKOFF_S", gt=0)
    max_message_bytes: int = Field(default=1_000_000, alias="MAX_MESSAGE_BYTES", ge=1024)
    event_time_alignment: bool = Field(
        default=True,
        alias="EVENT_TIME_ALIGNMENT",
        description="hand records to the handlers in event-time order across input partitions",
    )
    align_max_idle_s: float = Field(
        default=5.0,
        alias="ALIGN_MAX_IDLE_S",
        ge=0,
        description="longest wait for an empty input partition that has records to fetch",
    )
    align_max_buffered: int = Field(default=1000, alias="ALIGN_MAX_BUFFERED", ge=2)
    fetch_size: int | None = Field(
        default=None,
        alias="CONSUMER_FETCH_SIZE",
        ge=1,
        description="records asked of the broker per fetch when aligning (default: max(batch size, 500))",
    )
    relay_poll_s: float = Field(default=0.5, alias="RELAY_POLL_S", gt=0)
    dead_letter_max_bytes: int = Field(
        default=1_000_000,
        alias="DEAD_LETTER_MAX_BYTES",
        ge=64 * 1024,
        description="a dead letter bigger than this (value + headers) is published truncated; keep it "
        "below the dead-letter topics' max.message.bytes (broker default 1048588)",
    )
    stall_after_s: float = Field(
        default=120.0,
        alias="STALL_AFTER_S",
        gt=0,
        description="a partition with lag and no commit for this long is stalled: /readyz answers 503",
    )
    progress_interval_s: float = Field(
        default=5.0, alias="PROGRESS_INTERVAL_S", gt=0, description="how often the lag is read"
    )
    plausible_years_back: int = Field(
        default=10,
        alias="PLAUSIBLE_YEARS_BACK",
        ge=0,
        description="facts dated more than this many years before the service clock are dead-lettered",
    )
    plausible_years_ahead: int = Field(
        default=1,
        alias="PLAUSIBLE_YEARS_AHEAD",
        ge=0,
        description="facts dated more than this many years after the service clock are dead-lettered",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    narrative: NarrativeSettings = Field(default_factory=NarrativeSettings)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///./.data/{self.service_name}.db"
