"""The ledger end to end over the in-process transport: facts in, ledger rows, API and
``client.profitability.changed`` out."""

from __future__ import annotations

import random
import re
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope
from msp_events.testing.service import RunningService, running_service
from msp_events.types.billing import InvoiceLine

from cpi import api
from cpi.app import create_service
from cpi.churn import api as churn_api
from cpi.settings import Settings
from cpi.store.ledger import recompute_ledger
from cpi.store.tables import LedgerRow

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import (
    T0,
    addition,
    agreement,
    at,
    client,
    invoice,
    line,
    subscription,
    technician,
    tick,
    time_entry,
    violation,
)

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
D = Decimal


class Running(RunningService):
    def ledger(self) -> list[dict[str, Any]]:
        with Session(self.service.engine) as session:
            rows = session.execute(
                select(LedgerRow).order_by(LedgerRow.client_id, LedgerRow.agreement_id, LedgerRow.month)  # type: ignore[arg-type]
            ).scalars()
            return [r.model_dump() for r in rows]

    def row(self, agreement_id: str, month: str, client_id: str = "C-1") -> dict[str, Any]:
        [row] = [
            r
            for r in self.ledger()
            if (r["client_id"], r["agreement_id"], r["month"]) == (client_id, agreement_id, month)
        ]
        return row

    def published(self) -> list[Envelope[Any]]:
        from msp_events.codec.kafka import decode

        return [decode(r.value, r.headers) for r in self.system.bus.records("client.profitability.changed")]


async def start(db: Path, **settings: Any) -> AsyncIterator[Running]:
    config = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}", **settings)
    async with running_service(Running, create_service, config, [api.router]) as running:
        yield running


@pytest.fixture
async def cpi(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "cpi.db"):
        yield running


def january() -> list[Envelope[Any]]:
    """Contoso, one managed-services agreement (fee 1000, 10 h included, 10 seats at cost 12),
    a technician at 50/h, 4 h on the agreement and 2 h on nothing, and January's invoice."""
    return [
        at(T0, client()),
        at(T0, technician()),
        at(T0, agreement(additions=[addition()])),
        at(T0 + timedelta(days=5), time_entry("E-1", "4", date(2026, 1, 10))),
        at(T0 + timedelta(days=6), time_entry("E-2", "2", date(2026, 1, 11), agreement_id=None)),
        at(
            T0 + timedelta(days=26),
            invoice(
                "I-1",
                date(2026, 1, 31),
                [
                    line("agreement_fee", "1000", period=(JAN, date(2026, 1, 31))),
                    line("licence", "200", quantity="10", unit_cost="12", sku="SKU-M365"),
                ],
            ),
        ),
    ]


async def test_facts_become_ledger_rows(cpi: Running) -> None:
    await cpi.deliver(*january())
    a1 = cpi.row("A-1", "2026-01")
    # fee 1000 + licences 10 x 20 = 200; addition 10 x 12 = 120 (the licence line's own cost is
    # the addition's, same SKU, so not counted twice); labour 4 h x 50 = 200
    assert (a1["revenue_fee"], a1["revenue_licence"]) == (D(1000), D(200))
    assert (a1["cost_addition"], a1["cost_licence"], a1["cost_labour"]) == (D(120), D(0), D(200))
    assert (a1["labour_hours"], a1["prepaid_hours"], a1["time_value"]) == (D(4), D(4), D(600))
    none = cpi.row("", "2026-01")
    # 2 h x 50 = 100 of labour on no agreement, counted as unlinked hours
    assert (none["cost_labour"], none["unlinked_hours"], none["uncosted_hours"]) == (D(100), D(2), D(0))


async def test_the_api_shows_the_month(cpi: Running) -> None:
    await cpi.deliver(*january())
    async with cpi.http() as http:
        body = (
            await http.get("/clients/C-1/profitability", params={"from": "2026-01", "to": "2026-01"})
        ).json()
        agreement_body = (await http.get("/agreements/A-1/profitability")).json()
    [month] = body["months"]
    # billed 1200; cost 120 + 200 + 100 = 420; profit 780; margin 780 / 1200 = 65 %
    assert (D(month["profit"]), D(month["gross_margin_pct"]), month["band"]) == (D(780), D(65), "strong")
    # effective rate (1200 - 120) / 6 h = 180; contribution 780 / 6 = 130; CEI 0.65 + 0.40 = 1.05
    assert (D(month["effective_rate"]), D(month["contribution_rate"])) == (D(180), D(130))
    assert D(month["efficiency_index"]) == D("1.05")
    assert D(month["data_quality"]["unlinked_hours"]) == D(2)
    [a1] = agreement_body["months"]
    # 4 of 10 included hours used: 40 %; time value 4 h x 150 = 600 written down to the 1000 fee: none
    assert (D(a1["hours_used"]), D(a1["hours_included"]), D(a1["burn_pct"])) == (D(4), D(10), D(40))
    assert D(a1["write_down"]["write_down"]) == 0


async def test_a_block_of_hours_is_earned_as_its_hours_are_used(cpi: Running) -> None:
    """A prepaid block is billed when bought but earned when worked: booking the invoice as the
    month's revenue would swing the margin between +90 % and -300 % and flag every block client."""
    block = agreement(
        "B-1",
        fee="1500",
        included_hours="10",
        agreement_type="block_hours",
        billing_cycle="one_time",
        covers_labour=False,
        name="Block of time",
    )
    await cpi.deliver(
        at(T0, client()),
        at(T0, technician()),
        at(T0, block),
        at(
            T0 + timedelta(days=5),
            time_entry("E-1", "4", date(2026, 1, 10), agreement_id="B-1", hours_deducted=Decimal("4")),
        ),
        at(
            T0 + timedelta(days=35),
            time_entry("E-2", "6", date(2026, 2, 10), agreement_id="B-1", hours_deducted=Decimal("6")),
        ),
        # the block (10 h for 1500) is invoiced in February, when it ran out
        at(
            T0 + timedelta(days=40), invoice("I-1", date(2026, 2, 15), [line("agreement_fee", "1500", "B-1")])
        ),
    )
    # 1500 / 10 h = 150 an hour: January earns 4 h x 150 = 600, February 6 h x 150 = 900; the
    # invoice itself adds nothing more (1500 = 600 + 900), labour is 4 x 50 and 6 x 50
    jan, feb = cpi.row("B-1", "2026-01"), cpi.row("B-1", "2026-02")
    assert (jan["revenue_fee"], jan["cost_labour"]) == (D(600), D(200))
    assert (feb["revenue_fee"], feb["cost_labour"]) == (D(900), D(300))
    with cpi.session() as session:
        recompute_ledger(session)
        session.commit()
    assert (cpi.row("B-1", "2026-01")["revenue_fee"], cpi.row("B-1", "2026-02")["revenue_fee"]) == (
        D(600),
        D(900),
    )


async def test_a_time_entry_before_its_client_and_technician_is_held_then_applied(cpi: Running) -> None:
    facts = january()
    await cpi.deliver(facts[3])  # the entry alone
    assert cpi.ledger() == []
    await cpi.deliver(facts[0], facts[2])  # client and agreement: still no technician
    with cpi.session() as session:
        from cpi.store.ledger import held_counts

        assert held_counts(session, "C-1")["time_entries_unknown_technician"] == 1
    await cpi.deliver(facts[1])
    assert cpi.row("A-1", "2026-01")["cost_labour"] == D(200)


async def test_a_rate_change_recosts_from_its_effective_date(cpi: Running) -> None:
    await cpi.deliver(*january(), at(T0 + timedelta(days=7), time_entry("E-3", "1", date(2026, 1, 20))))
    assert cpi.row("A-1", "2026-01")["cost_labour"] == D(250)  # 5 h x 50
    raise_ = technician(rates=[(date(2025, 1, 1), "50"), (date(2026, 1, 15), "80")])
    await cpi.deliver(at(T0 + timedelta(days=30), raise_))
    # 4 h on the 10th stay at 50 = 200; 1 h on the 20th is re-costed at 80: 280
    assert cpi.row("A-1", "2026-01")["cost_labour"] == D(280)


async def test_a_corrected_time_entry_replaces_the_old_one(cpi: Running) -> None:
    await cpi.deliver(*january())
    corrected = time_entry("E-1", "3", date(2026, 1, 10), agreement_id=None)
    await cpi.deliver(at(T0 + timedelta(days=27), corrected))
    assert cpi.row("A-1", "2026-01")["labour_hours"] == D(0)
    assert cpi.row("", "2026-01")["labour_hours"] == D(5)  # 2 + 3


async def test_an_older_correction_arriving_late_is_ignored(cpi: Running) -> None:
    await cpi.deliver(*january())
    await cpi.deliver(at(T0, time_entry("E-1", "9", date(2026, 1, 10))))  # earlier than E-1's event
    assert cpi.row("A-1", "2026-01")["labour_hours"] == D(4)


async def test_a_fact_in_another_currency_is_counted_and_kept_out(cpi: Running) -> None:
    await cpi.deliver(*january())
    eur = invoice("I-2", date(2026, 1, 31), [line("product", "500", currency="EUR")], currency="EUR")
    await cpi.deliver(at(T0 + timedelta(days=27), eur))
    row = cpi.row("A-1", "2026-01")
    assert (row["revenue_product"], row["currency_mismatches"]) == (D(0), 1)


async def test_subscriptions_cost_licences_and_violations_show_as_leakage(cpi: Running) -> None:
    await cpi.deliver(*january(), at(T0, subscription()), at(T0 + timedelta(days=2), violation()))
    row = cpi.row("A-1", "2026-01")
    # the subscription (10 x 15 = 150) costs the SKU; the addition with the same SKU is not counted
    assert (row["cost_licence"], row["cost_addition"]) == (D(150), D(0))
    assert (row["leakage"], row["leakage_findings"]) == (D(60), 1)


async def test_a_subscription_of_unknown_cost_is_kept_but_costs_nothing_made_up(cpi: Running) -> None:
    """licensing.subscription.upserted 1.1 may leave unit_cost out (Pax8 sent no partnerCost): the
    handler stores the version without a made-up cost and the month is computed, not crashed."""
    unknown = subscription(unit_cost=None)
    assert "unit_cost" not in unknown.model_dump(mode="json")
    await cpi.deliver(*january(), at(T0, unknown))
    row = cpi.row("A-1", "2026-01")
    assert row["cost_licence"] == D(0)
    await cpi.deliver(at(T0 + timedelta(days=1), subscription(updated_at=T0 + timedelta(days=1))))
    assert cpi.row("A-1", "2026-01")["cost_licence"] == D(150)  # the cost, once known, counts


def seats_month(*lines: InvoiceLine) -> list[Envelope[Any]]:
    """Contoso's agreement reselling 10 seats of M365-BP (SKU-M365) at 40, costing 25 each a month;
    4 h at 50/h on it; January's invoice: the 1000 fee and ``lines``."""
    fee = line("agreement_fee", "1000", period=(JAN, date(2026, 1, 31)))
    return [
        at(T0, client()),
        at(T0, technician()),
        at(T0, agreement(additions=[addition(price="40", cost="25")])),
        at(T0 + timedelta(days=5), time_entry("E-1", "4", date(2026, 1, 10))),
        at(T0 + timedelta(days=26), invoice("I-1", date(2026, 1, 31), [fee, *lines])),
    ]


async def month_body(cpi: Running) -> dict[str, Any]:
    async with cpi.http() as http:
        body = (
            await http.get("/clients/C-1/profitability", params={"from": "2026-01", "to": "2026-01"})
        ).json()
    [month] = body["months"]
    return month  # type: ignore[no-any-return]


async def test_a_licence_line_without_sku_is_costed_once_through_its_product(cpi: Running) -> None:
    """The invoice bills the addition's seats with their unit cost but no vendor SKU: the cost is
    the addition's (same product), not a second 250 on top of it."""
    seats = line("licence", "400", quantity="10", unit_cost="25", product="M365-BP")
    await cpi.deliver(*seats_month(seats))
    row = cpi.row("A-1", "2026-01")
    # revenue: fee 1000 + 10 seats x 40 = 400; costs: the addition's 10 x 25 = 250, the line's own
    # 10 x 25 = 250 not again, labour 4 h x 50 = 200
    assert (row["revenue_fee"], row["revenue_licence"]) == (D(1000), D(400))
    assert (row["cost_addition"], row["cost_licence"], row["cost_labour"]) == (D(250), D(0), D(200))
    assert (row["lines_matched_by_product"], row["licence_cost_unmatched"], row["uncosted_revenue"]) == (
        1,
        D(0),
        D(0),
    )
    month = await month_body(cpi)
    # billed 1400, cost 250 + 200 = 450, profit 950, margin 950 / 1400 = 67.857 -> 67.86 %
    assert (D(month["cost"]["total"]), D(month["profit"]), D(month["gross_margin_pct"])) == (
        D(450),
        D(950),
        D("67.86"),
    )
    quality = month["data_quality"]
    assert (quality["lines_matched_by_product"], D(quality["licence_cost_unmatched"])) == (1, D(0))
    assert quality["warnings"] == [
        "1 product/licence invoice lines were matched to an agreement addition by product id only "
        "(no vendor SKU on one side)"
    ]


async def test_a_licence_line_without_sku_or_cost_is_not_uncosted(cpi: Running) -> None:
    """Without a unit cost the same line is costed by the addition: no "no known cost" warning."""
    await cpi.deliver(*seats_month(line("licence", "400", quantity="10", product="M365-BP")))
    row = cpi.row("A-1", "2026-01")
    assert (row["cost_addition"], row["cost_licence"], row["uncosted_revenue"]) == (D(250), D(0), D(0))
    assert row["lines_matched_by_product"] == 1
    warnings = (await month_body(cpi))["data_quality"]["warnings"]
    assert not any("no known cost" in w for w in warnings)


async def test_a_licence_cost_no_addition_or_subscription_matches_counts_once(cpi: Running) -> None:
    """A licence line for a product the agreement does not resell (BACKUP-1TB, no SKU) is costed
    once, from the line, and counted so a missing product/SKU mapping cannot hide."""
    backup = line("licence", "100", quantity="10", unit_cost="5", product="BACKUP-1TB")
    await cpi.deliver(*seats_month(backup))
    row = cpi.row("A-1", "2026-01")
    # the addition's 250 for M365-BP; the backup's 10 x 5 = 50 from its own line, once
    assert (row["cost_addition"], row["cost_licence"]) == (D(250), D(50))
    assert row["licence_cost_unmatched"] == D(50)
    assert (row["lines_matched_by_product"], row["uncosted_revenue"]) == (0, D(0))
    quality = (await month_body(cpi))["data_quality"]
    assert D(quality["licence_cost_unmatched"]) == D(50)
    assert quality["warnings"] == [
        "50.00 of licence cost comes from invoice lines no agreement addition or subscription matches "
        "(by vendor SKU or product id): check the agreement resells it"
    ]


async def test_shuffled_facts_give_the_same_ledger(tmp_path: Path) -> None:
    facts = [
        *january(),
        at(T0, subscription()),
        at(T0 + timedelta(days=7), time_entry("E-3", "1", date(2026, 1, 20))),
        at(T0 + timedelta(days=30), technician(rates=[(date(2025, 1, 1), "50"), (date(2026, 1, 15), "80")])),
        at(T0 + timedelta(days=31), time_entry("E-1", "3", date(2026, 1, 10))),
    ]
    ledgers = []
    for seed in range(3):
        order = list(facts)
        random.Random(seed).shuffle(order)
        async for running in start(tmp_path / f"{seed}.db"):
            await running.deliver(*order)
            ledgers.append(running.ledger())
            with running.session() as session:
                recompute_ledger(session)
                session.commit()
            assert running.ledger() == ledgers[-1]  # a full recompute agrees with the incremental path
    assert ledgers[0] == ledgers[1] == ledgers[2]
    assert ledgers[0]


def month_facts(month: date, fee: str, labour_hours: str, n: int) -> list[Envelope[Any]]:
    """One month: the fee invoiced and ``labour_hours`` worked at 50/h."""
    t = datetime(month.year, month.month, 10, 9, tzinfo=T0.tzinfo)
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return [
        at(t, time_entry(f"E-{n}", labour_hours, month.replace(day=10), rate=None)),
        at(t, invoice(f"I-{n}", end, [line("agreement_fee", fee, period=(month, end))])),
    ]


async def test_a_band_crossing_is_published_once_after_the_month_closes(cpi: Running) -> None:
    await cpi.deliver(at(T0, client()), at(T0, technician()), at(T0, agreement(fee="1000")))
    # January: 1000 billed, 6 h x 50 = 300 cost: 70 % strong; February: 14 h = 700: 30 % thin
    await cpi.deliver(*month_facts(JAN, "1000", "6", 1), *month_facts(FEB, "1000", "14", 2))
    await cpi.deliver(tick(datetime(2026, 3, 2, tzinfo=T0.tzinfo)))  # February not closed yet (grace 5 days)
    assert cpi.published() == []
    await cpi.deliver(tick(datetime(2026, 3, 6, tzinfo=T0.tzinfo)))
    [event] = cpi.published()
    data = event.data
    assert (data.period, data.gross_margin_pct, data.band, data.previous_band) == (
        "2026-02",
        D(30),
        "thin",
        "strong",
    )
    assert data.direction == "down" and not data.problem_client
    assert data.drivers[0].line == "labour_cost" and data.drivers[0].change.amount == D(-400)
    await cpi.deliver(tick(datetime(2026, 3, 7, tzinfo=T0.tzinfo)))
    assert len(cpi.published()) == 1  # never the same judgement twice
    # a late time entry for February moves it to critical: re-judged and published again
    await cpi.deliver(
        at(datetime(2026, 3, 8, tzinfo=T0.tzinfo), time_entry("E-9", "4", date(2026, 2, 20), rate=None))
    )
    late = cpi.published()[-1].data
    assert (len(cpi.published()), late.band, late.gross_margin_pct) == (2, "critical", D(10))


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/clients/C-1/profitability", {"from": "2026-13"}, "from"),
        ("/clients/C-1/profitability", {"to": "26-01"}, "to"),
        ("/clients/C-1/profitability", {"from": "2026-03", "to": "2026-01"}, "from"),
        ("/agreements/A-1/profitability", {"from": "2026-03", "to": "2026-01"}, "from"),
        ("/clients", {"sort": "profit"}, "sort"),
        ("/clients", {"month": "2026-1"}, "month"),
    ],
)
async def test_bad_parameters_are_rejected_with_a_message(
    cpi: Running, path: str, params: dict[str, str], field: str
) -> None:
    await cpi.deliver(*january())
    error = await cpi.rejected(path, params)
    assert error["loc"] == ["query", field]


async def test_unknown_ids_are_404(cpi: Running) -> None:
    async with cpi.http() as http:
        for path in ("/clients/NOPE/profitability", "/agreements/NOPE/profitability"):
            response = await http.get(path)
            assert response.status_code == 404 and "NOPE" in response.json()["detail"]


async def test_clients_sort_by_margin(cpi: Running) -> None:
    await cpi.deliver(
        *january(),
        at(T0, client("C-2", "Adventure Works")),
        at(
            T0 + timedelta(days=26),
            invoice("I-9", date(2026, 1, 31), [line("product", "100", None, unit_cost="90")], "C-2"),
        ),
    )
    async with cpi.http() as http:
        body = (await http.get("/clients", params={"sort": "margin", "month": "2026-01"})).json()
        asc = (
            await http.get("/clients", params={"sort": "margin", "order": "asc", "month": "2026-01"})
        ).json()
    assert [(c["client_id"], c["gross_margin_pct"]) for c in body] == [("C-1", "65.00"), ("C-2", "10.00")]
    assert [c["client_id"] for c in asc] == ["C-2", "C-1"]


SCALE = {"efficiency_index": 4, "probability": None, "churn_risk": None}
"""Decimals that are neither money, hours, percentages nor rates (README: the index to 0.0001; a
churn probability as scored); every other decimal in a response has 2 places."""


def off_scale(body: Any, path: str = "") -> list[str]:
    """The decimal strings in a JSON body not shown at their scale, with their path."""
    if isinstance(body, dict):
        return [bad for key, value in body.items() for bad in off_scale(value, f"{path}.{key}")]
    if isinstance(body, list):
        return [bad for i, value in enumerate(body) for bad in off_scale(value, f"{path}[{i}]")]
    if not isinstance(body, str) or not re.fullmatch(r"-?\d+(\.\d+)?", body):
        return []
    places = SCALE.get(path.rsplit(".", 1)[-1], 2)
    exponent = D(body).as_tuple().exponent
    return [] if places is None or exponent == -places else [f"{path}={body}"]


async def test_api_money_is_in_cents_and_hours_to_2_decimals(tmp_path: Path) -> None:
    """Facts at 3-4 decimals (the ledger keeps 4) are shown, in every response, money and rates in
    cents, hours, percentages and counters' amounts to 2 decimals (half-up), as the README says."""
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'cpi.db'}")
    routers = [api.router, churn_api.router]
    async with running_service(Running, create_service, settings, routers) as cpi:
        await cpi.deliver(
            at(T0, client()),
            at(T0, technician(rates=[(date(2025, 1, 1), "45.555")])),
            at(T0, agreement(fee="1000.005", additions=[addition(cost="12.3455")])),
            at(T0 + timedelta(days=5), time_entry("E-1", "1.3333", date(2026, 1, 10), rate="150.005")),
            at(T0 + timedelta(days=6), time_entry("E-2", "0.6667", date(2026, 1, 11), agreement_id=None)),
            at(T0 + timedelta(days=2), violation(exposure="60.005")),
            at(
                T0 + timedelta(days=26),
                invoice(
                    "I-1",
                    date(2026, 1, 31),
                    [
                        line("agreement_fee", "1000.005", period=(JAN, date(2026, 1, 31))),
                        line("licence", "200.005", quantity="10", unit_cost="12.3455", sku="SKU-M365"),
                        line("licence", "30.0015", quantity="3", unit_cost="1.0005", product="BACKUP"),
                        line("product", "10.005"),
                    ],
                ),
            ),
            tick(datetime(2026, 2, 6, tzinfo=T0.tzinfo)),
        )
        async with cpi.http() as http:
            bodies = {
                path: (await http.get(path)).json()
                for path in (
                    "/clients",
                    "/clients/C-1/profitability",
                    "/agreements/A-1/profitability",
                    "/churn-risk",
                )
            }
    assert bodies["/clients"][0]["month"] == "2026-01" and bodies["/churn-risk"]["items"]
    [month] = [m for m in bodies["/clients/C-1/profitability"]["months"] if m["month"] == "2026-01"]
    # 1.3333 + 0.6667 = 2 h; the fee 1000.005 -> 1000.01 (half-up); the unmatched backup licence
    # 3 x 1.0005 = 3.0015 -> 3.00; labour 1.3333 x 45.555 = 60.7385 + 0.6667 x 45.555 = 30.3715
    assert (month["labour_hours"], month["revenue"]["fees"]) == ("2.00", "1000.01")
    assert month["data_quality"]["licence_cost_unmatched"] == "3.00"
    assert month["cost"]["labour"] == "91.11"  # 60.7385 + 30.3715 = 91.1100
    assert [bad for body in bodies.values() for bad in off_scale(body)] == []
