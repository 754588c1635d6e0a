"""VCM end to end over the in-process transport: documents in, register rows and REST out."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope
from msp_events.testing.service import RunningService, running_service
from msp_events.types.contracts import ContractDocumentReceived

from vcm import api
from vcm.app import create_service
from vcm.settings import Settings
from vcm.store.tables import METADATA, ContractDocument

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "vcm.contract.document.received"
PDF = b"%PDF-1.7 Acme Managed Services Agreement, auto-renews for 12 months, 90 days notice"
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()


def document(content: bytes = PDF, **changes: Any) -> ContractDocumentReceived:
    fields: dict[str, Any] = {
        "document_id": "DOC-1",
        "document_kind": "contract",
        "vendor_name": "Acme Backup",
        "client_id": "C-1001",
        "file_name": "Acme-MSA-2026.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(content).decode(),
        "received_at": T0,
        "uploaded_by": "contracts@msp.example",
    }
    return ContractDocumentReceived(**{**fields, **changes})


def arrived(
    data: ContractDocumentReceived, time: datetime | None = None
) -> Envelope[ContractDocumentReceived]:
    return Envelope.build(data, source="vcm.mailbox", time=time or data.received_at)


class Running(RunningService):
    event_type = TYPE

    @property
    def db(self) -> Path:
        return Path(self.service.settings.resolved_database_url().removeprefix("sqlite:///"))

    def rows(self) -> list[ContractDocument]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(ContractDocument).order_by(ContractDocument.sha256)))


async def start(db: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


@pytest.fixture
async def vcm(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "vcm.db"):
        yield running


async def test_a_document_is_registered_by_fingerprint_without_its_bytes(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    [row] = vcm.rows()
    assert (row.sha256, row.size_bytes, row.document_id) == (PDF_SHA256, len(PDF), "DOC-1")
    assert (row.file_name, row.media_type, row.vendor_name) == (
        "Acme-MSA-2026.pdf",
        "application/pdf",
        "Acme Backup",
    )
    stored = b"".join(p.read_bytes() for p in vcm.db.parent.glob(f"{vcm.db.name}*"))  # database and WAL
    assert PDF not in stored and base64.b64encode(PDF) not in stored


async def test_identical_content_received_twice_is_recorded_once(vcm: Running) -> None:
    await vcm.deliver(
        arrived(document()),
        # the same PDF forwarded again an hour later, under another id and name
        arrived(document(document_id="DOC-2", file_name="FW-Acme.pdf", received_at=T0 + timedelta(hours=1))),
    )
    [row] = vcm.rows()
    assert (row.document_id, row.file_name, row.received_at) == ("DOC-1", "Acme-MSA-2026.pdf", T0)
    assert vcm.count("msp_events_consumed") == 2


async def test_the_same_text_as_plain_text_or_base64_is_the_same_document(vcm: Running) -> None:
    text = "Acme order form: 25 seats, 36 months"
    await vcm.deliver(
        arrived(document(media_type="text/plain", content_base64=None, text=text)),
        arrived(
            document(
                document_id="DOC-2",
                media_type="text/plain",
                content=text.encode(),
                received_at=T0 + timedelta(minutes=5),
            )
        ),
    )
    [row] = vcm.rows()
    assert (row.sha256, row.document_id) == (hashlib.sha256(text.encode()).hexdigest(), "DOC-1")


async def test_different_content_is_a_different_document(vcm: Running) -> None:
    amendment = PDF + b" Amendment 1: price increase capped at 3 %"
    await vcm.deliver(
        arrived(document()),
        arrived(
            document(
                amendment, document_id="DOC-2", document_kind="amendment", received_at=T0 + timedelta(days=30)
            )
        ),
    )
    assert sorted((r.document_id, r.sha256) for r in vcm.rows()) == [
        ("DOC-1", PDF_SHA256),
        ("DOC-2", hashlib.sha256(amendment).hexdigest()),
    ]


async def test_an_earlier_copy_arriving_later_becomes_the_record(vcm: Running) -> None:
    late = document(document_id="DOC-2", file_name="FW-Acme.pdf", received_at=T0 + timedelta(hours=1))
    await vcm.deliver(arrived(late), arrived(document(), T0 + timedelta(hours=2)))  # delayed mailbox import
    [row] = vcm.rows()
    assert (row.document_id, row.received_at) == ("DOC-1", T0)


async def test_copies_converge_in_any_order(tmp_path: Path) -> None:
    a = arrived(document())
    b = arrived(document(document_id="DOC-2", uploaded_by="jane@msp.example", received_at=T0))  # same instant
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append([r.model_dump() for r in running.rows()])
    assert states[0] == states[1]
    assert [s["document_id"] for s in states[0]] == ["DOC-1"]


async def test_the_same_event_delivered_twice_changes_nothing(vcm: Running) -> None:
    event = arrived(document())
    await vcm.deliver(event)
    before = vcm.rows()[0].model_dump()
    await vcm.deliver(event)
    assert [r.model_dump() for r in vcm.rows()] == [before]
    assert vcm.count("msp_inbox_duplicates") == 1
    assert vcm.count("msp_events_consumed") == 1


async def test_the_api_lists_documents_oldest_first(vcm: Running) -> None:
    await vcm.deliver(
        arrived(document()),
        arrived(
            document(
                b"%PDF-1.7 Beta SaaS terms",
                document_id="DOC-7",
                vendor_name="Beta SaaS",
                client_id=None,
                received_at=T0 + timedelta(days=1),
            )
        ),
    )
    async with vcm.http() as http:
        everything = (await http.get("/documents")).json()
        acme = (await http.get("/documents", params={"vendor_name": "Acme Backup"})).json()
        for_client = (await http.get("/documents", params={"client_id": "C-1001", "limit": 1})).json()
        second_page = (await http.get("/documents", params={"offset": 1})).json()
    assert [d["document_id"] for d in everything] == ["DOC-1", "DOC-7"]
    assert [d["document_id"] for d in acme] == [d["document_id"] for d in for_client] == ["DOC-1"]
    assert [d["document_id"] for d in second_page] == ["DOC-7"]
    assert acme[0]["sha256"] == PDF_SHA256 and acme[0]["size_bytes"] == len(PDF)
    assert "content_base64" not in acme[0] and "text" not in acme[0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"client_id": ""}, "client_id"),
        ({"vendor_name": ""}, "vendor_name"),
        ({"limit": 0}, "limit"),
        ({"limit": "all"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_the_api_rejects_bad_parameters(vcm: Running, params: dict[str, Any], field: str) -> None:
    error = await vcm.rejected("/documents", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(vcm: Running) -> None:
    assert vcm.schema_drift(METADATA) == []
