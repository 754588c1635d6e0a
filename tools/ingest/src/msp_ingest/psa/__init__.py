"""PSA exports (ConnectWise PSA, Autotask, HaloPSA): companies, agreements with additions,
members with costs, tickets, time entries, invoices and payments.

Each vendor module documents its column → field mapping as a table; the conversion rules they
share (ids, code lists, billable options, line typing, cost history) are in ``common``.
"""

from __future__ import annotations

from msp_ingest.options import Kind
from msp_ingest.psa import autotask, connectwise, halo

KINDS: list[Kind] = [*connectwise.KINDS, *autotask.KINDS, *halo.KINDS]
