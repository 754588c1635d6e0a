"""PSA exports (ConnectWise PSA, Autotask, HaloPSA)."""

from __future__ import annotations

from msp_ingest.options import Kind

KINDS: list[Kind] = []
