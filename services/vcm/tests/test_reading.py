"""Reading files: PDF and DOCX built here, text in several encodings, and every failure's status.

The ingest samples' malformed documents each get a clear status, and the simulator's documents
(text and PDF) are read and scored against their truth with the per-field accuracy printed.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from vcm.accuracy import score
from vcm.cli import main
from vcm.domain.extraction import extract
from vcm.reading import read_document

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from sim_contracts import documents

SAMPLES = Path(__file__).resolve().parents[3] / "tools" / "ingest" / "samples" / "documents"
CLAUSE = (
    "This Agreement renews automatically for successive one (1) year terms unless either party gives written "
    "notice of non-renewal at least ninety (90) days prior to the end of the then-current term."
)


def pdf_of(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


def docx_of(*paragraphs: str) -> bytes:
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Governing Law:"
    table.rows[0].cells[1].text = "Texas"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_pdf_built_here_reads_and_extracts() -> None:
    read = read_document(pdf_of(CLAUSE), "x.pdf")
    assert (read.status, read.media_type, read.pages) == ("ok", "application/pdf", 1)
    assert read.text is not None
    terms = extract(read.text)
    assert terms.notice_period is not None and terms.notice_period.value.to_json() == {
        "value": 90,
        "unit": "days",
    }


def test_a_docx_built_here_reads_paragraphs_and_tables() -> None:
    read = read_document(docx_of(CLAUSE))
    assert read.status == "ok" and read.text is not None
    assert "Governing Law: | Texas" in read.text
    assert extract(read.text).auto_renew is not None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252", "latin-1"])
def test_text_in_any_encoding_is_sniffed(encoding: str) -> None:
    text = "Fees: \u00a312,000.00 per year. The laws of England and Wales govern this Agreement. " + CLAUSE
    read = read_document(text.encode(encoding), "x.txt")
    assert read.status == "ok" and read.text is not None
    assert "\u00a312,000.00" in read.text
    terms = extract(read.text)
    assert terms.governing_law is not None and terms.governing_law.value == "England and Wales"


def test_an_encrypted_pdf_says_so() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_of(CLAUSE))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert read_document(out.getvalue()).status == "encrypted"


def test_a_scan_without_text_needs_ocr_when_tesseract_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vcm.reading.shutil.which", lambda _name: None)
    image = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(image, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=100)
    read = read_document(bytes(pdf.output()), "scan.pdf")
    assert (read.status, read.pages) == ("needs_ocr", 1)
    assert read.detail is not None and "Tesseract" in read.detail


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("broken-order.docx", "unreadable"),
        ("empty-notice.txt", "empty"),
        ("latin1-memo.txt", "ok"),
        ("price-list.xlsx", "unsupported"),
        ("renewal-notice.pdf", "ok"),
        ("truncated-scan.pdf", "unreadable"),
    ],
)
def test_the_ingest_samples_malformed_documents_each_get_a_clear_status(name: str, status: str) -> None:
    read = read_document((SAMPLES / "malformed" / name).read_bytes(), name)
    assert read.status == status
    assert status == "ok" or read.detail


def test_a_text_file_named_pdf_is_read_as_text_and_says_so() -> None:
    read = read_document((SAMPLES / "malformed" / "renewal-notice.pdf").read_bytes(), "renewal-notice.pdf")
    assert read.media_type == "text/plain" and read.detail is not None and "named .pdf" in read.detail


def test_the_cli_reports_each_file_and_goes_on_after_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(pdf_of(CLAUSE))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "results.jsonl"
    code = main(["extract", str(empty), str(tmp_path / "missing.docx"), str(good), "--out", str(out)])
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [r["status"] for r in printed] == ["empty", "unreadable", "ok"]
    assert printed[2]["notice_period"]["value"] == {"value": 90, "unit": "days"}
    assert printed[2]["notice_period"]["category"] == "Notice Period To Terminate Renewal"
    assert printed[2]["expiration_date"] is None
    assert [json.loads(line) for line in out.read_text().splitlines()] == printed


def test_the_simulators_documents_against_their_truth() -> None:
    """Text and PDF: each scored field right on at least 98% of the documents; accuracy printed."""
    docs = list(documents(60, seed=11))
    text_acc = score((d.name, extract(d.text).to_json(), d.truth) for d in docs)
    pdf_acc = score(
        (d.name, extract(read_document(d.pdf()).text or "").to_json(), d.truth) for d in docs[:15]
    )
    print("\nsimulator text documents\n" + text_acc.table())
    print("simulator PDF documents\n" + pdf_acc.table())
    for acc in (text_acc, pdf_acc):
        for name in acc.total:
            assert acc.rate(name) >= 0.98, (name, acc.misses[:5])
