"""Which agreement addition an invoice line bills, in SQL, agrees with ``domain.costing.match`` on
every combination of SKU and product on both sides, on SQLite and on PostgreSQL: a matched line's
cost is the addition's (not counted again), an unmatched one is counted once, from the line."""

from __future__ import annotations

import itertools
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.testing.replay import replay

from cpi.app import create_service
from cpi.domain.costing import Item, match, product_key
from cpi.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import T0, addition, agreement, at, client, invoice, ledger_rows, line

D = Decimal
LINE_SKUS = (None, "SKU-E3", "SKU-E5")
LINE_PRODUCTS = (None, "M365", " M365 ", "BACKUP")
ADDITION_SKUS = (None, "SKU-E3")
CASES = list(itertools.product(LINE_SKUS, LINE_PRODUCTS, ADDITION_SKUS))


def facts() -> list[Envelope[Any]]:
    """One client per case: an agreement reselling 10 seats of M365 (cost 25: 250 a month) and
    January's invoice billing 10 seats with a unit cost of 7 (70)."""
    out = []
    for n, (line_sku, line_product, addition_sku) in enumerate(CASES):
        c, a = f"C-{n}", f"A-{n}"
        seats = line("licence", "400", a, quantity="10", unit_cost="7", sku=line_sku, product=line_product)
        out += [
            at(T0, client(c)),
            at(T0, agreement(a, c, additions=[addition(cost="25", sku=addition_sku, product="M365")])),
            at(T0 + timedelta(days=26), invoice(f"I-{n}", date(2026, 1, 31), [seats], c)),
        ]
    return out


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def test_the_ledger_matches_licence_lines_as_the_domain_rule_says(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/cpi.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    result = await replay(create_service, Settings(MSP_TRANSPORT="inprocess"), facts(), database_url=url)
    assert result.dead_letters == []
    rows = {(r["client_id"], r["month"]): r for r in ledger_rows(url, rebuild=True)}
    got, want = [], []
    for n, (line_sku, line_product, addition_sku) in enumerate(CASES):
        row = rows[(f"C-{n}", "2026-01")]
        how = match(Item(line_sku, product_key(line_product)), Item(addition_sku, "M365"))
        got.append(
            (
                row["cost_addition"],
                row["cost_licence"],
                row["lines_matched_by_product"],
                row["licence_cost_unmatched"],
            )
        )
        # the addition's 250 always; the line's 70 only when it bills no addition, and then shown
        line_cost = D(0) if how else D(70)
        want.append((D(250), line_cost, 1 if how == "product" else 0, line_cost))
    assert got == want
    # the case: no SKU on the line, the addition's product -> 250 once, matched by product
    assert want[CASES.index((None, "M365", "SKU-E3"))] == (D(250), D(0), 1, D(0))
    # two SKUs under one product are two licences: both costs
    assert want[CASES.index(("SKU-E5", "M365", "SKU-E3"))] == (D(250), D(70), 0, D(70))
