"""Facts for VCM's service tests: contract documents and clock ticks."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from msp_events import Envelope, Money
from msp_events.types.contracts import ContractDocumentReceived
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted

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


def client_agreement(
    agreement_id: str, end: date | None, at: datetime = T0, **changes: Any
) -> Envelope[AgreementUpserted]:
    """A PSA client agreement of client C-1 (the side a vendor contract backs)."""
    data = AgreementUpserted(
        agreement_id=agreement_id,
        client_id="C-1",
        name="Managed Services",
        agreement_type="managed_services",
        start_date=date(2025, 1, 1),
        end_date=end,
        billing_cycle="monthly",
        bill_amount=Money(amount=Decimal("4000"), currency="USD"),
        **changes,
    )
    return Envelope.build(data, source="psa.connectwise", time=at)


def tick(now: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=now, granularity="day"), source="msp.platform", time=now)


def scenario() -> list[Envelope[Any]]:
    """A mailbox over a year: three simulator contracts (one as a PDF), the hand-written MSA, an
    unreadable scan, and a weekly clock; ordered by event time."""
    import sys
    from datetime import timedelta
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from sim_contracts import documents

    sims = list(documents(3, seed=21))
    events: list[Envelope[Any]] = [arrived(document())]
    for n, sim in enumerate(sims):
        at = T0 + timedelta(days=3 + n)
        extra: dict[str, Any] = {
            "document_id": f"SIM-{n}",
            "vendor_name": sim.terms.vendor_name,
            "file_name": f"{sim.name}.txt",
            "text": sim.text,
            "received_at": at,
        }
        if n == 0:
            extra.update(
                media_type="application/pdf",
                content_base64=base64.b64encode(sim.pdf()).decode(),
                file_name=f"{sim.name}.pdf",
            )
        events.append(arrived(document(**extra)))
    events.append(
        arrived(
            pdf_document(
                b"%PDF-1.7 truncated scan",
                document_id="SCAN-1",
                file_name="scan.pdf",
                received_at=T0 + timedelta(days=9),
            )
        )
    )
    events += [tick(T0 + timedelta(days=7 * w, hours=1)) for w in range(1, 53)]
    return sorted(events, key=lambda e: e.time)
