"""Loading and saving VCM's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from sqlmodel import Session, select

from vcm.domain.documents import ReceivedDocument
from vcm.store.tables import ContractDocument


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def with_content(self, sha256: str) -> ReceivedDocument | None:
        row = self.session.get(ContractDocument, sha256)
        return None if row is None else _to_domain(row)

    def save(self, d: ReceivedDocument) -> None:
        row = self.session.get(ContractDocument, d.sha256) or ContractDocument(
            sha256=d.sha256,
            size_bytes=d.size_bytes,
            document_id="",
            file_name="",
            media_type="",
            received_at=d.received_at,
        )
        row.size_bytes, row.document_id, row.contract_id = d.size_bytes, d.document_id, d.contract_id
        row.document_kind, row.vendor_name, row.client_id = d.document_kind, d.vendor_name, d.client_id
        row.file_name, row.media_type = d.file_name, d.media_type
        row.received_at, row.uploaded_by = d.received_at, d.uploaded_by
        self.session.add(row)

    def list(
        self,
        *,
        client_id: str | None = None,
        vendor_name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ReceivedDocument]:
        query = (
            select(ContractDocument)
            .order_by(ContractDocument.received_at, ContractDocument.sha256)
            .offset(offset)
            .limit(limit)
        )
        if client_id is not None:
            query = query.where(ContractDocument.client_id == client_id)
        if vendor_name is not None:
            query = query.where(ContractDocument.vendor_name == vendor_name)
        return [_to_domain(row) for row in self.session.exec(query)]


def _to_domain(row: ContractDocument) -> ReceivedDocument:
    return ReceivedDocument(
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        document_id=row.document_id,
        contract_id=row.contract_id,
        document_kind=row.document_kind,
        vendor_name=row.vendor_name,
        client_id=row.client_id,
        file_name=row.file_name,
        media_type=row.media_type,
        received_at=row.received_at,
        uploaded_by=row.uploaded_by,
    )
