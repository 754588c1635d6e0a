"""PSA exports (ConnectWise PSA, Autotask, HaloPSA): companies, agreements with additions,
members with costs, tickets, time entries, invoices and payments.

Layout: ``reading`` holds what every PSA kind reads with (JSON/CSV records, spelling-insensitive
columns, ids, dates, money, code lists, countries, time zones); one module per entity holds its one
converter (``clients``, ``agreements``, ``technicians``, ``tickets``, ``time_entries``,
``invoices``, ``payments``), parameterised by a column map; the vendor modules (``connectwise``,
``autotask``, ``halo``) only declare their columns and code lists, each documented as a table.
"""

from __future__ import annotations

from msp_ingest.options import Kind
from msp_ingest.psa import autotask, connectwise, halo

KINDS: list[Kind] = [*connectwise.KINDS, *autotask.KINDS, *halo.KINDS]
