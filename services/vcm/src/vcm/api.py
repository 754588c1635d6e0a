"""VCM's REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from msp_events.runtime.api import Limit, Offset

from vcm.domain.documents import ReceivedDocument
from vcm.store.repository import DocumentRepository

router = APIRouter(tags=["documents"])


class DocumentOut(BaseModel):
    sha256: str
    size_bytes: int
    document_id: str
    contract_id: str | None
    document_kind: str | None
    vendor_name: str | None
    client_id: str | None
    file_name: str
    media_type: str
    received_at: datetime
    uploaded_by: str | None

    @classmethod
    def of(cls, d: ReceivedDocument) -> DocumentOut:
        return cls(
            sha256=d.sha256,
            size_bytes=d.size_bytes,
            document_id=d.document_id,
            contract_id=d.contract_id,
            document_kind=d.document_kind,
            vendor_name=d.vendor_name,
            client_id=d.client_id,
            file_name=d.file_name,
            media_type=d.media_type,
            received_at=d.received_at,
            uploaded_by=d.uploaded_by,
        )


@router.get(
    "/documents",
    response_model=list[DocumentOut],
    summary="Contract documents received, one per distinct content, oldest first",
)
def list_documents(
    request: Request,
    client_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    vendor_name: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DocumentOut]:
    with Session(request.app.state.service.engine) as session:
        documents = DocumentRepository(session).list(
            client_id=client_id, vendor_name=vendor_name, limit=limit, offset=offset
        )
    return [DocumentOut.of(d) for d in documents]
