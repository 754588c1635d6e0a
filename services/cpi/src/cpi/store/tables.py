"""CPI's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import UtcDateTime


class CpiTable(SQLModel, registry=registry()):
    pass


METADATA = CpiTable.metadata


class Client(CpiTable, table=True):
    __tablename__ = "clients"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    status: str = Field(max_length=32)
    tier: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, max_length=3)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
