"""Facts for VCM's service tests: contract documents and clock ticks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from msp_events import Envelope
from msp_events.types.contracts import ContractDocumentReceived
from msp_events.types.platform import ClockTicked

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

MSA = """MASTER SUBSCRIPTION AGREEMENT

This Master Subscription Agreement (the "Agreement") is entered into as of January 2, 2026 by and between
Acme Backup, Inc., a Delaware corporation ("Vendor"), and Northwind Managed Services LLC, an Illinois limited
liability company ("Customer").

1. Term. This Agreement shall commence on March 1, 2026 (the "Effective Date") and shall continue for a
period of twelve (12) months. Thereafter it shall automatically renew for successive one (1) year periods
unless either party gives written notice of non-renewal at least ninety (90) days prior to the end of the
then-current term.

2. Fees. Customer shall pay Vendor annual fees of USD 36,000.00, invoiced annually in advance. All invoices
are payable net thirty (30) days from the date of invoice. Vendor may increase the Fees upon each renewal by
no more than five percent (5%).

3. Governing Law. This Agreement shall be governed by the laws of the State of New York.
"""


def document(text: str = MSA, **changes: Any) -> ContractDocumentReceived:
    fields: dict[str, Any] = {
        "document_id": "DOC-1",
        "document_kind": "contract",
        "vendor_name": "Acme Backup",
        "client_id": None,
        "file_name": "Acme-MSA-2026.txt",
        "media_type": "text/plain",
        "text": text,
        "received_at": T0,
        "uploaded_by": "contracts@msp.example",
    }
    fields.update(changes)
    if fields.get("content_base64") is not None:
        fields["text"] = None
    return ContractDocumentReceived(**fields)


def pdf_document(content: bytes, **changes: Any) -> ContractDocumentReceived:
    return document(
        media_type="application/pdf", content_base64=base64.b64encode(content).decode(), **changes
    )


def arrived(data: ContractDocumentReceived) -> Envelope[ContractDocumentReceived]:
    return Envelope.build(data, source="vcm.mailbox", time=data.received_at)


def tick(now: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=now, granularity="day"), source="msp.platform", time=now)
