"""Turning a received file into text: PDF (pypdf), DOCX (python-docx), plain text in any encoding.

A document that cannot be read is never dropped: the result says why (``encrypted``,
``unreadable``, ``empty``, ``unsupported``) or that it needs OCR (a scanned PDF with no text
layer when Tesseract is not installed), so the register keeps it and a person can act on it.
Tesseract is used when the ``tesseract`` program is on the PATH (Debian package
``tesseract-ocr``); nothing is downloaded at run time.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import docx
from charset_normalizer import from_bytes
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError

Status = Literal["ok", "needs_ocr", "encrypted", "unreadable", "empty", "unsupported"]
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
CHARS_PER_PAGE = 3000
"""A page of a text or DOCX document, for throughput figures (PDFs count their real pages)."""
_MIN_TEXT_LAYER = 40
"""Fewer characters than this per page means a scan: the PDF has images, not text."""


@dataclass(frozen=True)
class ReadResult:
    status: Status
    media_type: str | None
    text: str | None = None
    pages: int = 0
    detail: str | None = None
    encoding: str | None = None


def sniff(content: bytes, file_name: str = "") -> str | None:
    """The media type from the bytes (the name only breaks a tie): PDF, DOCX, text, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                return DOCX if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return DOCX if file_name.lower().endswith(".docx") else None
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    return TEXT


def read_document(content: bytes, file_name: str = "", media_type: str | None = None) -> ReadResult:
    """The document's text, or the reason there is none."""
    if not content.strip():
        return ReadResult("empty", media_type, detail="the file is empty")
    kind = sniff(content, file_name) or (media_type if media_type in (PDF, DOCX) else None)
    if kind is None:
        return ReadResult("unsupported", media_type, detail="not a PDF, DOCX or text document")
    read = _pdf(content) if kind == PDF else _docx(content) if kind == DOCX else _text(content)
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    named = {"pdf": PDF, "docx": DOCX, "txt": TEXT, "text": TEXT}.get(suffix)
    if named is not None and named != kind and read.detail is None:
        read = replace(read, detail=f"named .{suffix} but the bytes are {kind}; read as {kind}")
    return read


def _text(content: bytes) -> ReadResult:
    best = from_bytes(content).best()
    if best is None:
        return ReadResult("unreadable", TEXT, detail="no text encoding fits these bytes")
    text = str(best).lstrip("\ufeff")
    if not text.strip():
        return ReadResult("empty", TEXT, detail="the text is blank", encoding=best.encoding)
    pages = max(1, -(-len(text) // CHARS_PER_PAGE))
    return ReadResult("ok", TEXT, text, pages, encoding=best.encoding)


def _pdf(content: bytes) -> ReadResult:
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            return ReadResult("encrypted", PDF, detail="the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        return ReadResult("encrypted", PDF, detail="the PDF is password-protected")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        return ReadResult("unreadable", PDF, detail=f"pypdf cannot read it: {exc}")
    if not pages:
        return ReadResult("empty", PDF, detail="the PDF has no page")
    text = "\n".join(pages)
    if len(text.strip()) >= _MIN_TEXT_LAYER * len(pages):
        return ReadResult("ok", PDF, text, len(pages))
    ocr = _ocr(reader)
    if ocr is None:
        return ReadResult(
            "needs_ocr",
            PDF,
            pages=len(pages),
            detail="a scan without a text layer; Tesseract is not installed",
        )
    if not ocr.strip():
        return ReadResult("empty", PDF, pages=len(pages), detail="OCR found no text in the scan")
    return ReadResult("ok", PDF, ocr, len(pages), detail="text from OCR (Tesseract)")


def _ocr(reader: PdfReader) -> str | None:
    """The scanned pages' text through the ``tesseract`` program; None when it is not installed."""
    program = shutil.which("tesseract")
    if program is None:
        return None
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, page in enumerate(reader.pages):
            try:
                images = list(page.images)
            except (PyPdfError, ValueError, KeyError, OSError):
                continue
            for m, image in enumerate(images):
                path = Path(tmp) / f"p{n}-{m}{Path(image.name).suffix or '.png'}"
                path.write_bytes(image.data)
                done = subprocess.run(
                    [program, str(path), "stdout"], capture_output=True, text=True, timeout=120, check=False
                )
                out.append(done.stdout)
    return "\n".join(out)


def _docx(content: bytes) -> ReadResult:
    try:
        document = docx.Document(io.BytesIO(content))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        return ReadResult("unreadable", DOCX, detail=f"python-docx cannot read it: {exc}")
    except Exception as exc:  # python-docx raises its own package errors for a broken package
        return ReadResult("unreadable", DOCX, detail=f"python-docx cannot read it: {exc}")
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        return ReadResult("empty", DOCX, detail="the DOCX has no text")
    return ReadResult("ok", DOCX, text, max(1, -(-len(text) // CHARS_PER_PAGE)))
