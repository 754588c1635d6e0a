"""A folder of contract documents (PDF, DOCX, TXT) → ``vcm.contract.document.received``.

Each file is one record (line 1 of its own file in the report); the file travels inside the event.

| from | field | rule |
|---|---|---|
| SHA-256 of the bytes | document_id | ``sha256:<hex>``: the same file re-imported is the same document |
| file name | file_name | as found in the folder |
| extension and magic bytes | media_type | ``.pdf`` = ``%PDF-``; ``.docx`` = a ZIP package with
  ``word/document.xml``; ``.txt`` = UTF-8 text; no extension: the magic bytes decide |
| the bytes | content_base64 (PDF, DOCX) or text (TXT) | TXT decoded as UTF-8, unchanged |
| ``--set received_at=ISO`` | received_at | default: midnight UTC of the import date (never the mtime) |
| ``--set vendor=``, ``document_kind=``, ``contract_id=``, ``uploaded_by=`` | same | optional, for all files |
| ``--client`` | client_id | optional |

Rejected, with the reason: an empty file; a type other than PDF, DOCX or TXT (``.doc``, ``.xlsx``,
images...); a file whose bytes are not what its extension says; a PDF pypdf cannot open or that has
no page; a DOCX python-docx cannot open; a TXT that is not UTF-8; a file over 700 KB (the event must
stay under the broker's 1 MB message limit once base64-encoded); the same bytes under a second name.

Why not the mtime: it changes with every copy, checkout and machine, so the same document would get
a new event id on each import. The default keeps a re-import on the same day identical; pass
``received_at`` (the date on the e-mail or upload) to make every re-import identical.

Event time: ``received_at``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Literal

import docx
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from msp_events.types.contracts import ContractDocumentReceived, MediaType

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.rows import FieldError, Row

MAX_BYTES = 700 * 1024
PDF: MediaType = "application/pdf"
DOCX: MediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT: MediaType = "text/plain"
BY_EXTENSION: dict[str, MediaType] = {".pdf": PDF, ".docx": DOCX, ".txt": TEXT, ".text": TEXT}
DocumentKind = Literal["contract", "amendment", "order_form", "renewal_notice"]
KINDS: tuple[DocumentKind, ...] = ("contract", "amendment", "order_form", "renewal_notice")


def _sniff(data: bytes) -> MediaType | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                if "word/document.xml" in package.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            return None
    return None


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise FieldError("content", f"is not a readable PDF: {exc}") from None
    if pages == 0:
        raise FieldError("content", "is a PDF with no page")


def _check_docx(data: bytes) -> None:
    try:
        docx.Document(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, KeyError, PackageNotFoundError, lxml's XMLSyntaxError...
        raise FieldError("content", f"is not a readable DOCX: {exc}") from None


def _setting_time(options: Options, name: str) -> datetime:
    raw = options.extra.get(name)
    if raw is None:
        return datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--set {name}={raw!r} is not an ISO 8601 date or date-time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ContractFolder:
    source = "vcm.documents"

    def __init__(self, options: Options) -> None:
        self.options = options
        self._received_at: datetime | None = None
        self._names_by_digest: dict[str, str] = {}
        kind = options.extra.get("document_kind")
        self.document_kind: DocumentKind | None = next((k for k in KINDS if k == kind), None)

    def _received(self) -> datetime:
        if self._received_at is None:
            self._received_at = _setting_time(self.options, "received_at")
        return self._received_at

    def rows(self, path: Path) -> Iterator[Row]:
        kind = self.options.extra.get("document_kind")
        if kind is not None and self.document_kind is None:
            raise ValueError(f"--set document_kind={kind!r}: use one of {', '.join(KINDS)}")
        self._received()
        size = path.stat().st_size
        yield Row(str(path), 1, {"file_name": path.name, "size": size})

    def convert(self, row: Row) -> Iterator[Fact]:
        path = Path(row.file)
        size = path.stat().st_size
        if size == 0:
            raise FieldError("file", "is empty")
        if size > MAX_BYTES:
            raise FieldError(
                "file",
                f"is {size / 1024:.0f} KB, over the {MAX_BYTES // 1024} KB a contract event can carry "
                "(1 MB broker limit after base64): send a smaller scan or a text version",
            )
        data = path.read_bytes()
        media_type = self._media_type(path, data)
        if media_type == PDF:
            _check_pdf(data)
        elif media_type == DOCX:
            _check_docx(data)
        text: str | None = None
        content: str | None = None
        if media_type == TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FieldError(
                    "content", f"is not UTF-8 text (byte {exc.start}): save it as UTF-8"
                ) from None
            if "\x00" in text:
                raise FieldError("content", "has NUL bytes: it is not a text file")
        else:
            content = base64.b64encode(data).decode("ascii")
        digest = hashlib.sha256(data).hexdigest()
        first = self._names_by_digest.setdefault(digest, path.name)
        if first != path.name:
            raise FieldError("file", f"has the same bytes as {first!r}: the same document twice")
        received_at = self._received()
        document = ContractDocumentReceived(
            document_id=f"sha256:{digest}",
            contract_id=self.options.extra.get("contract_id"),
            document_kind=self.document_kind,
            vendor_name=self.options.extra.get("vendor"),
            client_id=self.options.client_id,
            file_name=path.name,
            media_type=media_type,
            content_base64=content,
            text=text,
            received_at=received_at,
            uploaded_by=self.options.extra.get("uploaded_by"),
        )
        yield Fact(document, received_at)

    @staticmethod
    def _media_type(path: Path, data: bytes) -> MediaType:
        sniffed = _sniff(data)
        suffix = path.suffix.lower()
        declared = BY_EXTENSION.get(suffix)
        if declared is None:
            if suffix and sniffed is None:
                raise FieldError("file", f"unsupported type {suffix!r}: send contracts as PDF, DOCX or TXT")
            if sniffed is None:
                raise FieldError("file", "has no extension and is neither a PDF nor a DOCX")
            return sniffed
        if declared == TEXT:
            if sniffed is not None:
                raise FieldError("file", f"is named {suffix} but its bytes are a {_label(sniffed)}")
            return TEXT
        if declared == DOCX and data.startswith(b"PK\x03\x04"):
            return DOCX  # a ZIP: whether it is a Word package is for python-docx to say
        if sniffed != declared:
            found = f"are a {_label(sniffed)}" if sniffed else f"start with {data[:8]!r}"
            raise FieldError("file", f"is named {suffix} but its bytes {found}")
        return declared


def _label(media_type: MediaType) -> str:
    return {PDF: "PDF", DOCX: "DOCX", TEXT: "text file"}[media_type]
