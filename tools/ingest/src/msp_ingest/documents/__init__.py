"""Contract documents (PDF, DOCX, TXT) from a folder."""

from __future__ import annotations

from msp_ingest.options import Kind

KINDS: list[Kind] = []
