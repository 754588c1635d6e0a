"""SLI's reconciliation end to end over the in-process transport: facts in, the clock ticks,
findings published once with a stable id, updated when the gap changes, resolved when it closes."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope
from msp_events.codec.kafka import decode
from msp_events.testing.service import RunningService, running_service

from sli import api
from sli.app import create_service
from sli.settings import Settings
from sli.store.tables import LicenceLine, RenewalReview

sys.path.insert(0, str(Path(__file__).parent))
from sli_facts import SPB, T0, agreement, opportunity, seat, software, subscription, tick, usd

DAY = timedelta(days=1)


class Running(RunningService):
    def published(self, topic: str = "license.compliance.violation") -> list[Any]:
        return [decode(r.value, r.headers).data for r in self.system.bus.records(topic)]

    def line(self, sku_id: str = SPB, client_id: str = "C-1") -> LicenceLine:
        with Session(self.service.engine) as session:
            row = session.get(LicenceLine, (client_id, sku_id))
            assert row is not None
            return row

    def renewals(self) -> list[RenewalReview]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(RenewalReview)))


async def start(db: Path, **settings: Any) -> AsyncIterator[Running]:
    config = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}", **settings)
    async with running_service(Running, create_service, config, [api.router]) as running:
        yield running


@pytest.fixture
async def sli(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "sli.db"):
        yield running


def staff(
    at: datetime, *idle: str, names: tuple[str, ...] = ("ann", "bob", "cy", "dee")
) -> list[Envelope[Any]]:
    """The tenant read at ``at``: everyone signed in an hour ago except the ``idle`` ones (last
    sign-in 100 days back)."""
    return [seat(n, at, at - (100 * DAY if n in idle else timedelta(hours=1))) for n in names]


async def test_a_properly_licensed_client_publishes_nothing(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(), *staff(T0), tick(T0 + timedelta(hours=1)))
    assert sli.published() == []
    line = sli.line()
    assert (line.purchased, line.assigned, line.engaged, line.billed, line.line_class) == (
        4,
        4,
        4,
        Decimal(4),
        "properly_licensed",
    )


async def test_an_unbilled_sku_is_published_once_then_resolved_when_billed(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(seats=None), *staff(T0), tick(T0 + timedelta(hours=1)))
    [opened] = sli.published()
    assert (opened.kind, opened.finding_class, opened.status, opened.seats_affected) == (
        "unbilled_seats",
        "unbilled",
        "open",
        4,
    )
    assert opened.monthly_exposure == usd("88.00")  # 4 x 22.00 list price
    assert opened.action_text == "add 4 seats of Microsoft 365 Business Premium to agreement AGR-1"
    assert (opened.recommended_action, opened.exposure_nature, opened.exposure_known) == (
        "bill_client",
        "leakage",
        True,
    )
    # the next tick, and the next day, change nothing: no news
    await sli.deliver(tick(T0 + timedelta(hours=2)), tick(T0 + DAY))
    assert len(sli.published()) == 1
    # billed now: the finding closes under the same id
    await sli.deliver(agreement(T0 + 2 * DAY), tick(T0 + 2 * DAY + timedelta(hours=1)))
    resolved = sli.published()[-1]
    assert (resolved.violation_id, resolved.status, resolved.seats_affected) == (
        opened.violation_id,
        "resolved",
        0,
    )
    assert resolved.monthly_exposure.amount == 0


async def test_a_quantity_changing_mid_month_updates_the_same_finding(sli: Running) -> None:
    await sli.deliver(
        subscription(quantity=6), agreement(seats="4"), *staff(T0), tick(T0 + timedelta(hours=1))
    )
    # bought 6, billed 4: under-billed 2; two seats are not assigned either: unused 2
    first = {f.finding_class: f for f in sli.published()}
    assert (first["under_billed"].seats_affected, first["under_billed"].monthly_exposure) == (2, usd("44.00"))
    assert (first["unused"].seats_affected, first["unused"].monthly_exposure) == (2, usd("35.20"))
    assert first["unused"].action_text == "remove 2 unassigned seats at renewal on 2027-06-30"
    mid = T0 + 14 * DAY
    await sli.deliver(subscription(mid, quantity=9), tick(mid + timedelta(hours=1)))
    updates = {f.finding_class: f for f in sli.published()[2:]}
    assert updates["under_billed"].violation_id == first["under_billed"].violation_id
    assert (updates["under_billed"].seats_affected, updates["under_billed"].monthly_exposure) == (
        5,
        usd("110.00"),
    )
    assert (updates["unused"].seats_affected, updates["unused"].monthly_exposure) == (5, usd("88.00"))
    assert len(sli.published()) == 4


async def test_idle_users_are_named_and_reclaimed(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(), *staff(T0, "bob", "dee"), tick(T0 + timedelta(hours=1)))
    [unused] = sli.published()
    assert (unused.kind, unused.seats_affected, unused.inactive_days, unused.seats_active) == (
        "unused_seats",
        2,
        60,
        2,
    )
    assert unused.inactive_users == ["bob@contoso.com", "dee@contoso.com"]
    assert unused.action_text == "reclaim from these inactive users: bob@contoso.com, dee@contoso.com"
    assert (unused.monthly_exposure, unused.exposure_nature) == (usd("35.20"), "saving")


async def test_a_seat_provisioned_within_the_grace_is_not_unused_until_the_grace_ends(sli: Running) -> None:
    await sli.deliver(subscription(quantity=5), agreement(seats="5"), *staff(T0))
    # a new starter gets the fifth seat 10 days after the first tenant read and never signs in
    joined = T0 + 10 * DAY
    await sli.deliver(seat("eve", joined, None), tick(joined + timedelta(hours=1)))
    assert sli.published() == []
    assert (sli.line().assigned, sli.line().engaged) == (5, 5)
    # 59 days after provisioning: still in grace; 61 days: unused
    await sli.deliver(
        *staff(joined + 59 * DAY), seat("eve", joined + 59 * DAY, None), tick(joined + 59 * DAY)
    )
    assert sli.published() == []
    await sli.deliver(
        *staff(joined + 61 * DAY), seat("eve", joined + 61 * DAY, None), tick(joined + 61 * DAY)
    )
    [unused] = sli.published()
    assert (unused.seats_affected, unused.inactive_users) == (1, ["eve@contoso.com"])


async def test_seats_read_at_the_first_tenant_sync_get_no_grace(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(), *staff(T0, "cy"), tick(T0 + timedelta(hours=1)))
    [unused] = sli.published()
    assert unused.inactive_users == ["cy@contoso.com"]


async def test_a_seat_reassigned_from_an_idle_user_to_a_new_one_closes_the_finding(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(), *staff(T0, "dee"), tick(T0 + timedelta(hours=1)))
    [unused] = sli.published()
    later = T0 + 20 * DAY
    # dee's licence goes to fay (new, has not signed in yet): 4 assigned, fay in grace
    await sli.deliver(
        *staff(later, names=("ann", "bob", "cy")),
        seat("dee", later, later - 120 * DAY, skus=()),
        seat("fay", later, None),
        tick(later + timedelta(hours=1)),
    )
    resolved = sli.published()[-1]
    assert (resolved.violation_id, resolved.status) == (unused.violation_id, "resolved")
    assert (sli.line().assigned, sli.line().engaged, sli.line().line_class) == (4, 4, "properly_licensed")


async def test_over_deployment_counts_assigned_seats_and_installs(tmp_path: Path) -> None:
    async for sli in start(tmp_path / "sli.db", SLI_SOFTWARE_SKUS={"Microsoft 365 Apps for business": "SPB"}):
        installs = [
            software(str(n), T0, ("Microsoft 365 Apps for business", "Google Chrome")) for n in range(6)
        ]
        await sli.deliver(subscription(), agreement(), *staff(T0), *installs, tick(T0 + timedelta(hours=1)))
        [over] = sli.published()
        assert (over.kind, over.seats_affected, over.seats_installed, over.seats_assigned) == (
            "over_deployed",
            2,
            6,
            6,
        )
        assert over.monthly_exposure == usd("35.20")  # 2 x 17.60
        assert over.action_text == (
            "buy 2 seats of Microsoft 365 Business Premium (subscription SUB-1) "
            "and bill them on agreement AGR-1"
        )


async def test_a_cancelled_subscription_still_assigned_is_expired(sli: Running) -> None:
    await sli.deliver(
        subscription(status="cancelled", quantity=0),
        agreement(seats=None),
        *staff(T0),
        tick(T0 + timedelta(hours=1)),
    )
    [expired] = sli.published()
    assert (expired.kind, expired.seats_affected, expired.recommended_action) == ("expired", 4, "renew")
    assert expired.monthly_exposure == usd("70.40")
    assert sli.line().subscription_status == "cancelled"


async def test_free_skus_are_unlimited_and_never_findings(sli: Running) -> None:
    free = "f30db892-07e9-47e9-837c-80727f46fd3d"
    await sli.deliver(
        subscription(),
        agreement(),
        *[seat(n, T0, T0 - timedelta(hours=1), skus=(SPB, free)) for n in ("ann", "bob", "cy", "dee")],
        subscription(
            subscription_id="SUB-F",
            sku_id=free,
            sku_part_number="FLOW_FREE",
            product_name="Power Automate Free",
            quantity=10000,
            unit_cost=usd("0"),
            unit_price=usd("0"),
        ),
        tick(T0 + timedelta(hours=1)),
    )
    assert sli.published() == []
    assert sli.line(free).line_class == "properly_licensed"


async def test_a_materiality_threshold_holds_small_findings_back(tmp_path: Path) -> None:
    async for sli in start(tmp_path / "sli.db", SLI_MIN_MONTHLY="50"):
        await sli.deliver(subscription(), agreement(seats="3"), *staff(T0), tick(T0 + timedelta(hours=1)))
        assert sli.published() == []  # one seat under-billed: 22.00 a month
        assert sli.line().line_class == "under_billed"


async def test_a_licence_opportunity_is_checked_against_entitlements(sli: Running) -> None:
    await sli.deliver(subscription(), agreement(seats="3"), *staff(T0), opportunity(T0 + timedelta(hours=2)))
    [check] = sli.published("license.compliance.checked")
    assert (check.status, check.suggestion_id, check.sku_id) == ("issues", "OPP-1", SPB)
    assert (check.seats_purchased, check.seats_assigned, check.seats_available) == (4, 4, 0)
    [f] = check.findings
    assert (f.kind, f.seats_affected) == ("unbilled_seats", 1)
    # a properly billed client answers ok; a non-licence opportunity without a SKU is not checked
    await sli.deliver(agreement(T0 + DAY), opportunity(T0 + DAY + timedelta(hours=1)))
    await sli.deliver(opportunity(T0 + 2 * DAY, sku_id=None, kind="tm_conversion"))
    checks = sli.published("license.compliance.checked")
    assert [c.status for c in checks] == ["issues", "ok"]


async def test_committed_subscriptions_are_right_sized_for_renewal(sli: Running) -> None:
    soon = T0 + 40 * DAY  # 2026-10-11: 62 days before the 2026-12-12 renewal
    await sli.deliver(
        subscription(quantity=10, commitment_end_date=date(2026, 12, 12)),
        subscription(  # Graph's 4 consumed units of the SKU sit on the annual one
            subscription_id="SUB-M",
            quantity=2,
            consumed_units=0,
            commitment_term_months=1,
            commitment_end_date=date(2026, 10, 31),
        ),
        agreement(seats="12"),
        *staff(soon),
        tick(soon + timedelta(hours=1)),
    )
    [review] = sli.renewals()  # the monthly one gets no review
    # 4 engaged -> 5 recommended for the SKU; the monthly holds 2, so the annual renews at 3
    assert (review.subscription_id, review.reminder_days, review.recommended, review.change) == (
        "SUB-1",
        90,
        3,
        -7,
    )
    assert review.monthly_saving == Decimal("123.2000")  # 7 x 17.60


# -- the API ----------------------------------------------------------------------------------------


async def test_the_api_shows_the_three_way_table_findings_renewals_and_savings(sli: Running) -> None:
    soon = T0 + 40 * DAY
    await sli.deliver(
        subscription(quantity=6, commitment_end_date=date(2026, 12, 12)),
        agreement(seats="4"),
        *staff(T0, "dee"),
        tick(T0 + timedelta(hours=1)),
    )
    async with sli.http() as http:
        [line] = (await http.get("/clients/C-1/licenses")).json()
        assert (line["line_class"], line["purchased"], line["assigned"], line["engaged"], line["billed"]) == (
            "under_billed",
            6,
            4,
            3,
            "4.0000",
        )
        assert [f["finding_class"] for f in line["findings"]] == ["under_billed", "unused"]
        unused = line["findings"][1]
        assert (unused["seats"], unused["monthly"], unused["inactive_users"]) == (
            3,
            {"amount": "52.80", "currency": "USD"},
            ["dee@contoso.com"],
        )
        assert [f["finding_class"] for f in (await http.get("/findings")).json()] == [
            "unused",
            "under_billed",
        ]
        assert [
            f["seats"] for f in (await http.get("/findings", params={"kind": "under_billed"})).json()
        ] == [2]
        assert [
            f["finding_class"] for f in (await http.get("/findings", params={"min_monthly": "50"})).json()
        ] == ["unused"]
        assert (await http.get("/clients/C-404/licenses")).status_code == 404
        # billed properly now: the under-billing is realised, the unused seats are still open
        await sli.deliver(
            agreement(T0 + DAY, seats="6"), *staff(soon, "dee"), tick(soon + timedelta(hours=1))
        )
        body = (await http.get("/savings")).json()
        assert body["open"] == [
            {
                "currency": "USD",
                "nature": "saving",
                "monthly": {"amount": "52.80", "currency": "USD"},
                "findings": 1,
            }
        ]
        assert body["realised"] == [
            {
                "currency": "USD",
                "nature": "leakage",
                "monthly": {"amount": "44.00", "currency": "USD"},
                "findings": 1,
            }
        ]
        [renewal] = (await http.get("/renewals")).json()
        # 3 engaged -> 4 recommended: remove 2 of 6 at the 2026-12-12 renewal, 62 days away
        assert (
            renewal["days_left"],
            renewal["reminder_days"],
            renewal["recommended"],
            renewal["change"],
        ) == (
            62,
            90,
            4,
            -2,
        )
        assert renewal["monthly_saving"] == {"amount": "35.20", "currency": "USD"}
        assert (await http.get("/renewals", params={"within_days": 30})).json() == []


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/findings", {"kind": "lost"}, ["query", "kind"]),
        ("/findings", {"min_monthly": "-1"}, ["query", "min_monthly"]),
        ("/findings", {"min_monthly": "lots"}, ["query", "min_monthly"]),
        ("/renewals", {"within_days": 91}, ["query", "within_days"]),
        ("/renewals", {"within_days": -1}, ["query", "within_days"]),
        ("/findings", {"status": "gone"}, ["query", "status"]),
    ],
)
async def test_the_api_rejects_bad_parameters_with_a_reason(
    sli: Running, path: str, params: dict[str, Any], loc: list[str]
) -> None:
    error = await sli.rejected(path, params)
    assert error["loc"] == loc
