"""Alembic migrations for a service: the runtime's branch plus the service's own.

The runtime ships its tables as an Alembic branch labelled ``runtime``; each service has a branch
with its own label in ``<service>/store/migrations``. ``upgrade`` applies both heads, so a runtime
table change reaches every service through one migration written once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from msp_events.runtime.store import RUNTIME_METADATA, normalise_url

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, service_versions: Path, metadata: MetaData | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(RUNTIME_MIGRATIONS))
    config.set_main_option("version_locations", f"{RUNTIME_MIGRATIONS / 'versions'} {service_versions}")
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    config.attributes["target_metadata"] = [RUNTIME_METADATA, *([metadata] if metadata is not None else [])]
    return config


def upgrade(database_url: str, service_versions: Path, metadata: MetaData | None = None) -> None:
    command.upgrade(alembic_config(database_url, service_versions, metadata), "heads")
