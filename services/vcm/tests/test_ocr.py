"""OCR for real: a scanned contract (text drawn into an image, saved as an image-only PDF, built
here) read through Debian's Tesseract, then its notice period and dates extracted.

Tesseract is installed by ``make ocr`` (``services/vcm/install-tesseract.sh``, part of ``make
test``); without it this test fails with that instruction instead of skipping silently.
"""

from __future__ import annotations

import io
import shutil
import textwrap
from datetime import date

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from vcm.domain.extraction import extract
from vcm.reading import read_document

SCANNED = """RENEWAL TERMS

This Agreement is effective as of 1 March 2026 (the "Effective Date") and shall continue for a
period of twelve (12) months. It shall automatically renew for successive one (1) year periods
unless either party gives written notice of non-renewal at least sixty (60) days prior to the end
of the then-current term. This Agreement is governed by the laws of the State of Ohio."""


def scanned_pdf(text: str) -> bytes:
    """The text as a 200 dpi greyscale page image inside a PDF with no text layer."""
    font = ImageFont.load_default(size=30)
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    y = 120
    for paragraph in text.split("\n\n"):
        for line in textwrap.wrap(" ".join(paragraph.split()), width=88):
            draw.text((110, y), line, font=font, fill=0)
            y += 44
        y += 30
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=200)
    return out.getvalue()


def test_a_scanned_contract_is_read_by_ocr_and_its_terms_extracted() -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is not installed: `make ocr` (services/vcm/install-tesseract.sh) installs it")
    content = scanned_pdf(SCANNED)
    assert "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages).strip() == ""
    read = read_document(content, "scan.pdf")
    assert (read.status, read.pages, read.detail) == ("ok", 1, "text from OCR (Tesseract)")
    terms = extract(read.text)
    assert terms.notice_period is not None
    assert (terms.notice_period.value.value, terms.notice_period.value.unit) == (60, "days")
    assert terms.effective_date is not None and terms.effective_date.value == date(2026, 3, 1)
    assert terms.expiration_date is not None and terms.expiration_date.value == date(2027, 2, 28)
    assert terms.auto_renew is not None and terms.auto_renew.value is True
    evidence = terms.notice_period.evidence
    assert "sixty (60) days prior" in " ".join(evidence.text.split())  # the scan's lines, rejoined
    assert read.text[evidence.start : evidence.end] == evidence.text
