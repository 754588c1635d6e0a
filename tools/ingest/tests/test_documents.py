"""A folder of contract documents → vcm.contract.document.received."""

from __future__ import annotations

import base64
import csv
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from msp_events import eventlog
from msp_events.types.contracts import ContractDocumentReceived

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.documents.contracts import ContractFolder
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "documents"
RECEIVED = "2026-01-21T09:00:00Z"
MEDIA = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".txt": "text/plain",
}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def _documents(result: importer.ImportResult) -> dict[str, ContractDocumentReceived]:
    out = {}
    for envelope in result.envelopes:
        assert isinstance(envelope.data, ContractDocumentReceived)
        out[envelope.data.file_name] = envelope.data
    return out


def _run(folder: Path, **extra: str) -> importer.ImportResult:
    mapping = ContractFolder(
        Options(client_id=extra.pop("client", None), extra={"received_at": RECEIVED, **extra})
    )
    return importer.run(mapping, _files(folder))


def test_every_sample_document_travels_byte_for_byte() -> None:
    result = _run(
        SAMPLES / "contracts", vendor="Northwind Backup Ltd", uploaded_by="contracts@example-msp.com"
    )
    assert result.report.rejections == []
    documents = _documents(result)
    files = _files(SAMPLES / "contracts")
    assert sorted(documents) == [p.name for p in files]
    received = datetime(2026, 1, 21, 9, 0, tzinfo=UTC)
    for path in files:
        document = documents[path.name]
        data = path.read_bytes()
        assert document.document_id == "sha256:" + hashlib.sha256(data).hexdigest()
        assert document.media_type == MEDIA[path.suffix]
        if path.suffix == ".txt":
            assert document.content_base64 is None
            assert document.text is not None and document.text.encode("utf-8") == data
        else:
            assert document.text is None
            assert document.content_base64 is not None and base64.b64decode(document.content_base64) == data
        assert document.received_at == received
        assert (document.vendor_name, document.uploaded_by) == (
            "Northwind Backup Ltd",
            "contracts@example-msp.com",
        )
        assert (document.contract_id, document.document_kind, document.client_id) == (None, None, None)
    assert {e.time for e in result.envelopes} == {received}


def test_unusable_files_are_reported_with_file_field_and_reason() -> None:
    result = _run(SAMPLES / "malformed")
    got = [(Path(r.file).name, r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        ("broken-order.docx", 1, "content", "is not a readable DOCX: File is not a zip file"),
        ("empty-notice.txt", 1, "file", "is empty"),
        ("latin1-memo.txt", 1, "content", "is not UTF-8 text (byte 11): save it as UTF-8"),
        ("price-list.xlsx", 1, "file", "unsupported type '.xlsx': send contracts as PDF, DOCX or TXT"),
        ("renewal-notice.pdf", 1, "file", "is named .pdf but its bytes start with b'Renewal '"),
        ("truncated-scan.pdf", 1, "content", "is not a readable PDF: EOF marker not found"),
    ]
    assert result.envelopes == []


def test_too_large_files_and_the_same_bytes_twice_are_refused(tmp_path: Path) -> None:
    (tmp_path / "big-scan.txt").write_text("x" * (700 * 1024 + 1))
    (tmp_path / "limit.txt").write_text("y" * (700 * 1024))
    msa = (SAMPLES / "contracts" / "northwind-msa-2025.txt").read_bytes()
    (tmp_path / "msa.txt").write_bytes(msa)
    (tmp_path / "msa-copy.txt").write_bytes(msa)
    (tmp_path / "scan").write_bytes((SAMPLES / "contracts" / "adatum-amendment-2.pdf").read_bytes())
    result = _run(tmp_path)
    got = [(Path(r.file).name, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (
            "big-scan.txt",
            "file",
            "is 700 KB, over the 700 KB a contract event can carry (1 MB broker limit after base64): "
            "send a smaller scan or a text version",
        ),
        ("msa.txt", "file", "has the same bytes as 'msa-copy.txt': the same document twice"),
    ]
    documents = _documents(result)
    assert sorted(documents) == ["limit.txt", "msa-copy.txt", "scan"]
    assert documents["scan"].media_type == "application/pdf"  # no extension: told by its magic bytes


def test_importing_twice_gives_the_same_ids_and_documents() -> None:
    first, second = _run(SAMPLES / "contracts"), _run(SAMPLES / "contracts")
    assert [e.id for e in first.envelopes] == [e.id for e in second.envelopes]
    later = importer.run(
        ContractFolder(Options(extra={"received_at": "2026-02-01"})), _files(SAMPLES / "contracts")
    )
    assert {e.data.document_id for e in later.envelopes} == {e.data.document_id for e in first.envelopes}
    assert {e.time for e in later.envelopes} == {datetime(2026, 2, 1, tzinfo=UTC)}


def test_without_received_at_the_import_date_is_used() -> None:
    result = importer.run(ContractFolder(Options()), _files(SAMPLES / "contracts"))
    today = datetime.now(UTC).date()
    assert {d.received_at for d in _documents(result).values()} == {
        datetime(today.year, today.month, today.day, tzinfo=UTC)
    }


def test_cli_imports_a_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "docs.jsonl"
    result = runner.invoke(
        app,
        [
            "run",
            "contracts",
            str(SAMPLES / "contracts"),
            "--out",
            str(out),
            "--client",
            "C-1002",
            "--set",
            f"received_at={RECEIVED}",
            "--set",
            "document_kind=contract",
        ],
    )
    assert result.exit_code == 0, result.output
    events = list(eventlog.read(out))
    assert sorted(e.data.file_name for e in events) == [p.name for p in _files(SAMPLES / "contracts")]
    assert {(e.data.client_id, e.data.document_kind) for e in events} == {("C-1002", "contract")}
    for event in events:
        path = SAMPLES / "contracts" / event.data.file_name
        content = event.data.content_base64
        decoded = base64.b64decode(content) if content else event.data.text.encode("utf-8")
        assert decoded == path.read_bytes()
    result = runner.invoke(app, ["run", "contracts", str(SAMPLES / "malformed"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    with (tmp_path / "docs.jsonl.rejected.csv").open(newline="") as file:
        assert len(list(csv.DictReader(file))) == 6
    result = runner.invoke(
        app,
        ["run", "contracts", str(SAMPLES / "contracts"), "--out", str(out), "--set", "document_kind=memo"],
    )
    assert result.exit_code == 1
    assert "document_kind" in result.output
