"""Every export format ``msp-ingest`` understands, by command-line name."""

from __future__ import annotations

from msp_ingest import documents, finance, licensing, psa
from msp_ingest.options import Kind

ALL: dict[str, Kind] = {k.name: k for k in (*psa.KINDS, *licensing.KINDS, *finance.KINDS, *documents.KINDS)}
