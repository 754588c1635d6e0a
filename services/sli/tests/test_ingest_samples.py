"""The importers' Pax8 and Microsoft Graph samples (``tools/ingest/samples/licensing``) end to end
into findings: Pax8 subscriptions, Graph subscribedSkus joined to them, and Graph users, imported
with ``msp-ingest``'s mappings, then one clock tick. Nothing in the samples bills the licences (no
PSA export), so every bought SKU is unbilled; the tenant read of C-1001 names who is idle.

Hand-computed from the samples: C-1001 holds Business Premium on two subscriptions (25 annual at
19.80 cost / 22.00 price, the representative; 5 monthly) with 28 consumed units in Graph; the user
export names Adele (active the day before the read) and Alex (account disabled); the leaver is
deleted and frees its seat. Exchange Online (Plan 1): 10 bought at 3.60 / 4.00, 9 consumed, held by
the new starter (never signed in, read at the tenant's first read: no grace) and Alex. C-1002's
tenant was not read: only its billing is judged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from msp_events import Envelope, Money
from msp_events.testing.replay import replay
from msp_events.types.platform import ClockTicked

from msp_ingest import importer
from msp_ingest.licensing.graph import GraphSubscribedSkus, GraphUsers
from msp_ingest.licensing.pax8 import Pax8Subscriptions
from msp_ingest.options import Options
from sli.app import create_service
from sli.settings import Settings

SAMPLES = Path(__file__).resolve().parents[3] / "tools" / "ingest" / "samples" / "licensing"
MAPS = {"company_map": str(SAMPLES / "company_map.csv"), "sku_map": str(SAMPLES / "sku_map.csv")}
OBSERVED = "2026-01-16T06:00:00Z"
TENANT = "48a80680-7326-48cd-9935-b556b81d3a4e"
NOW = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=amount, currency="USD")  # type: ignore[arg-type]


def imported() -> list[Envelope[Any]]:
    pax8 = importer.run(
        Pax8Subscriptions(Options(extra={**MAPS, "vendor": "Microsoft"})),
        [SAMPLES / "pax8_subscriptions.json"],
    )
    skus = importer.run(
        GraphSubscribedSkus(
            Options(
                client_id="C-1001",
                extra={
                    **MAPS,
                    "vendor": "Microsoft",
                    "pax8": str(SAMPLES / "pax8_subscriptions.json"),
                    "observed_at": OBSERVED,
                },
            )
        ),
        [SAMPLES / "graph_subscribed_skus.json"],
    )
    users = importer.run(
        GraphUsers(
            Options(
                client_id="C-1001",
                extra={
                    "observed_at": OBSERVED,
                    "tenant_id": TENANT,
                    "skus": str(SAMPLES / "graph_subscribed_skus.json"),
                },
            )
        ),
        [SAMPLES / "graph_users.json"],
    )
    for result in (pax8, skus, users):
        assert result.report.rejections == []
    events = [*pax8.envelopes, *skus.envelopes, *users.envelopes]
    events.sort(key=lambda e: e.time)
    return [*events, Envelope.build(ClockTicked(now=NOW), source="platform.clock", time=NOW)]


async def test_the_pax8_and_graph_samples_become_findings(tmp_path: Path) -> None:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        imported(),
        database_url=f"sqlite:///{tmp_path}/sli.db",
    )
    assert result.dead_letters == []
    found = {
        (v.client_id, v.sku_part_number, v.finding_class): v
        for v in (e.data for e in result.outputs)
        if getattr(v, "violation_id", None)
    }
    assert sorted(found) == [
        ("C-1001", "EXCHANGESTANDARD", "unbilled"),
        ("C-1001", "EXCHANGESTANDARD", "unused"),
        ("C-1001", "SPB", "unbilled"),
        ("C-1001", "SPB", "unused"),
        ("C-1002", "AAD_PREMIUM", "unbilled"),
        ("C-1002", "O365_BUSINESS_PREMIUM", "unbilled"),
    ]
    spb = found[("C-1001", "SPB", "unused")]
    # Alex is idle (disabled) and 2 of the 30 seats bought are not assigned (28 consumed)
    assert (spb.seats_purchased, spb.seats_assigned, spb.seats_active, spb.seats_affected) == (30, 28, 27, 3)
    assert spb.monthly_exposure == usd("59.40")  # 3 x 19.80
    assert spb.inactive_users == ["alex.wilber@contoso.com"]
    assert spb.action_text == (
        "reclaim from these inactive users: alex.wilber@contoso.com; remove 2 unassigned seats at renewal on "
        "2026-09-30"
    )
    exchange = found[("C-1001", "EXCHANGESTANDARD", "unused")]
    assert (exchange.seats_purchased, exchange.seats_assigned, exchange.seats_affected) == (10, 9, 3)
    assert exchange.monthly_exposure == usd("10.80")  # 3 x 3.60
    assert exchange.inactive_users == ["alex.wilber@contoso.com", "new.starter@contoso.com"]
    unbilled = {
        (k[0], k[1]): (v.seats_affected, v.monthly_exposure) for k, v in found.items() if k[2] == "unbilled"
    }
    assert unbilled == {
        ("C-1001", "SPB"): (30, usd("660.00")),  # 30 x 22.00
        ("C-1001", "EXCHANGESTANDARD"): (10, usd("40.00")),
        ("C-1002", "AAD_PREMIUM"): (12, usd("72.00")),
        ("C-1002", "O365_BUSINESS_PREMIUM"): (30, usd("375.00")),  # pending Business Standard, 12.50
    }
    assert all(
        v.action_text.endswith("to a new agreement for the client")
        for k, v in found.items()
        if k[2] == "unbilled"
    )
