"""VCM's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import UtcDateTime


class VcmTable(SQLModel, registry=registry()):
    pass


METADATA = VcmTable.metadata


class ContractDocument(VcmTable, table=True):
    """One row per distinct content; the file itself is not stored."""

    __tablename__ = "contract_documents"

    sha256: str = Field(primary_key=True, max_length=64)
    size_bytes: int
    document_id: str = Field(max_length=128, index=True)
    contract_id: str | None = Field(default=None, max_length=64)
    document_kind: str | None = Field(default=None, max_length=32)
    vendor_name: str | None = Field(default=None, max_length=255)
    client_id: str | None = Field(default=None, max_length=64, index=True)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    received_at: datetime = Field(sa_type=UtcDateTime)
    uploaded_by: str | None = Field(default=None, max_length=255)
