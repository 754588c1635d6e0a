"""VCM's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from msp_events.runtime.uow import UnitOfWork

from vcm.domain.documents import ReceivedDocument, is_first_receipt
from vcm.store.repository import DocumentRepository


def record_document(uow: UnitOfWork, document: ReceivedDocument) -> bool:
    """Register the document unless its content already is; False for a copy of known content."""
    documents = DocumentRepository(uow.session)
    if not is_first_receipt(document, documents.with_content(document.sha256)):
        return False
    documents.save(document)
    return True
