"""The contract document register: each distinct content is kept once, whoever sent it how often.

The same PDF is often e-mailed in and uploaded, or re-sent by a vendor; extracting and tracking it
twice would double its renewal alerts. A document is identified by the SHA-256 of its bytes, and
its record is its earliest receipt (ties go to the smaller document id), so the register is the
same whichever copy arrives first. Only the fingerprint and the metadata are kept, never the bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReceivedDocument:
    sha256: str
    """Hex SHA-256 of the document's bytes: what makes two receipts the same document."""
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


def fingerprint(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def received(
    content: bytes,
    *,
    document_id: str,
    contract_id: str | None,
    document_kind: str | None,
    vendor_name: str | None,
    client_id: str | None,
    file_name: str,
    media_type: str,
    received_at: datetime,
    uploaded_by: str | None,
) -> ReceivedDocument:
    """The record of one receipt: the content reduced to its fingerprint and size."""
    return ReceivedDocument(
        sha256=fingerprint(content),
        size_bytes=len(content),
        document_id=document_id,
        contract_id=contract_id,
        document_kind=document_kind,
        vendor_name=vendor_name,
        client_id=client_id,
        file_name=file_name,
        media_type=media_type,
        received_at=received_at,
        uploaded_by=uploaded_by,
    )


def is_first_receipt(incoming: ReceivedDocument, recorded: ReceivedDocument | None) -> bool:
    """True when ``incoming`` should be the record of its content (``recorded`` has the same hash)."""
    if recorded is None:
        return True
    if incoming.sha256 != recorded.sha256:
        raise ValueError("only receipts of the same content can be compared")
    return (incoming.received_at, incoming.document_id) < (recorded.received_at, recorded.document_id)
