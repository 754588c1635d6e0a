"""VCM's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding one seeded fact."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.contracts import ContractDocumentReceived

from vcm import api
from vcm.app import create_app, create_service
from vcm.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> Envelope[ContractDocumentReceived]:
    data = ContractDocumentReceived(
        document_id="DOC-1",
        document_kind="contract",
        vendor_name="Acme Backup",
        client_id="C-1001",
        file_name="Acme-MSA-2026.pdf",
        media_type="application/pdf",
        content_base64=base64.b64encode(b"%PDF-1.7 Acme Managed Services Agreement").decode(),
        received_at=T0,
        uploaded_by="contracts@msp.example",
    )
    return Envelope.build(data, source="vcm.mailbox", time=T0)


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'vcm.db'}")
    failures = fuzz_service(create_service, create_app, settings, [seed()], api=[api.router])
    assert not failures, "\n\n".join(failures)
