"""Contract documents (PDF, DOCX, TXT) from a folder."""

from __future__ import annotations

from msp_ingest.documents.contracts import ContractFolder
from msp_ingest.options import Kind

KINDS: list[Kind] = [
    Kind(
        "contracts",
        "a folder of contract documents (PDF, DOCX, TXT); --set received_at=ISO, vendor=, document_kind=",
        lambda options: ContractFolder(options),
        takes="folder",
    ),
]
