"""The three-way classification on hand-built lines, with hand-computed seats, money and actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from msp_events.money import Money

from sli.domain.findings import Gap, change_of, finding_id
from sli.domain.reconciliation import (
    Finding,
    Line,
    Policy,
    classify,
    line_class,
    material,
    monthly,
    whole_seats,
)
from sli.domain.renewals import (
    RenewalInput,
    recommended_quantity,
    reminder_stage,
    renews_monthly,
    review,
)

TODAY = date(2026, 11, 15)
POLICY = Policy()


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def line(**changes: object) -> Line:
    """Business Premium, 20 bought at 17.60 cost / 22.00 list, 20 assigned and active, 20 billed at
    22.00 on agreement AGR-1: properly licensed until a test changes something."""
    base = Line(
        client_id="C-1001",
        sku_id="cbdc14ab",
        sku_part_number="SPB",
        product_name="Microsoft 365 Business Premium",
        today=TODAY,
        purchased=20,
        subscription_id="SUB-1",
        subscription_status="active",
        commitment_end_date=date(2027, 3, 31),
        auto_renew=True,
        unit_cost=usd("17.60"),
        list_price=usd("22.00"),
        billed=Decimal(20),
        billed_price=usd("22.00"),
        agreement_id="AGR-1",
        assigned=20,
        engaged=20,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def only(found: list[Finding]) -> Finding:
    assert len(found) == 1, found
    return found[0]


def test_a_line_where_bought_assigned_and_billed_agree_is_properly_licensed() -> None:
    assert classify(line(), POLICY) == []
    assert line_class([]) == "properly_licensed"


def test_bought_but_not_billed_at_all_is_unbilled_at_the_list_price() -> None:
    f = only(classify(line(billed=None, billed_price=None), POLICY))
    assert (f.finding_class, f.kind, f.seats, f.action, f.nature) == (
        "unbilled",
        "unbilled_seats",
        20,
        "bill_client",
        "leakage",
    )
    assert f.monthly == usd("440.00")  # 20 x 22.00
    assert f.action_text == "add 20 seats of Microsoft 365 Business Premium to agreement AGR-1"


def test_assigned_without_a_subscription_and_not_billed_is_unbilled_with_money_unknown() -> None:
    f = only(
        classify(
            line(
                purchased=None,
                subscription_id=None,
                subscription_status=None,
                unit_cost=None,
                list_price=None,
                billed=None,
                billed_price=None,
                assigned=7,
                agreement_id=None,
            ),
            POLICY,
        )
    )
    assert (f.finding_class, f.seats, f.monthly) == ("unbilled", 7, None)
    assert f.action_text == "add 7 seats of Microsoft 365 Business Premium to a new agreement for the client"


def test_billing_fewer_seats_than_bought_is_under_billed_at_the_billed_price() -> None:
    f = only(classify(line(billed=Decimal(16), billed_price=usd("21.50")), POLICY))
    assert (f.finding_class, f.kind, f.seats, f.action) == (
        "under_billed",
        "unbilled_seats",
        4,
        "bill_client",
    )
    assert f.monthly == usd("86.00")  # 4 x 21.50
    assert f.action_text == (
        "add 4 seats of Microsoft 365 Business Premium to agreement AGR-1 (bills 16, should bill 20)"
    )


def test_billing_more_seats_than_bought_is_over_billed_and_owed_back() -> None:
    f = only(classify(line(billed=Decimal(23)), POLICY))
    assert (f.finding_class, f.seats, f.action, f.nature) == ("over_billed", 3, "credit_client", "credit")
    assert f.monthly == usd("66.00")  # 3 x 22.00
    assert f.action_text == (
        "remove 3 seats of Microsoft 365 Business Premium from agreement AGR-1 (bills 23 for 20) and credit "
        "the client"
    )


def test_billing_is_not_judged_before_the_distributor_or_tenant_is_read() -> None:
    unread = line(purchased=None, subscription_id=None, subscription_status=None, assigned=0, engaged=0)
    assert [f.finding_class for f in classify(unread, POLICY)] == ["over_billed"]
    assert classify(replace(unread, sides_known=False), POLICY) == []


def test_without_a_tenant_read_nothing_is_unused_or_over_deployed_by_assignment() -> None:
    unread = line(assigned=0, engaged=0, tenant_read=False)
    assert classify(unread, POLICY) == []  # 20 bought, 20 billed, nobody counted
    installs = only(classify(replace(unread, installed=22), POLICY))
    assert (installs.finding_class, installs.seats) == ("over_deployed", 2)


def test_a_fractional_billed_quantity_counts_as_whole_seats() -> None:
    assert whole_seats(Decimal("19.5")) == 20
    assert classify(line(billed=Decimal("19.5")), POLICY) == []


def test_more_assigned_than_bought_is_over_deployed_at_the_unit_cost() -> None:
    f = only(classify(line(assigned=23, engaged=23), POLICY))
    assert (f.finding_class, f.kind, f.seats, f.action) == ("over_deployed", "over_deployed", 3, "buy_seats")
    assert f.monthly == usd("52.80")  # 3 x 17.60
    assert f.action_text == (
        "buy 3 seats of Microsoft 365 Business Premium (subscription SUB-1) and bill them on agreement AGR-1"
    )


def test_installs_beyond_the_seats_bought_are_over_deployed() -> None:
    f = only(classify(line(installed=26), POLICY))
    assert (f.finding_class, f.seats, f.monthly) == ("over_deployed", 6, usd("105.60"))


def test_over_deployment_reclaims_idle_seats_before_buying() -> None:
    # 23 assigned on 20 bought, two of them idle: take those two back, buy one
    found = classify(line(assigned=23, engaged=21, idle_users=("ann@contoso.com", "bob@contoso.com")), POLICY)
    f = only(found)
    assert (f.finding_class, f.seats, f.action) == ("over_deployed", 3, "buy_seats")
    assert f.action_text == (
        "reclaim 2 from these inactive users: ann@contoso.com, bob@contoso.com; buy 1 seats of Microsoft 365 "
        "Business Premium (subscription SUB-1) and bill them on agreement AGR-1"
    )


def test_unlimited_licences_are_never_over_deployed_unused_or_billed() -> None:
    assert classify(line(unlimited=True, assigned=5000, engaged=3, billed=None), POLICY) == []


def test_idle_users_and_unassigned_seats_are_unused_at_the_unit_cost() -> None:
    idle = ("ann@contoso.com", "bob@contoso.com", "cy@contoso.com")
    f = only(classify(line(assigned=18, engaged=15, idle_users=idle), POLICY))
    # 3 idle users + 2 seats bought but not assigned
    assert (f.finding_class, f.kind, f.seats, f.action, f.nature) == (
        "unused",
        "unused_seats",
        5,
        "reclaim_licences",
        "saving",
    )
    assert f.monthly == usd("88.00")  # 5 x 17.60
    assert (f.inactive_users, f.inactive_days) == (idle, 60)
    assert f.action_text == (
        "reclaim from these inactive users: ann@contoso.com, bob@contoso.com, cy@contoso.com; remove 2 "
        "unassigned seats at renewal on 2027-03-31"
    )


def test_unassigned_seats_alone_are_reduced_now_when_no_commitment_holds_them() -> None:
    f = only(classify(line(assigned=17, engaged=17, commitment_end_date=None), POLICY))
    assert (f.seats, f.action, f.monthly) == (3, "reduce_seats", usd("52.80"))
    assert f.action_text == "remove 3 unassigned seats now (no commitment holds them)"


def test_the_inactivity_window_is_configurable_per_product() -> None:
    policy = Policy(inactive_days_by_product={"SPB": 90, "other-sku": 30})
    assert (policy.window("cbdc14ab", "SPB"), policy.window("other-sku", None), policy.window("x", None)) == (
        90,
        30,
        60,
    )
    f = only(classify(line(engaged=19, idle_users=("ann@contoso.com",)), policy))
    assert f.inactive_days == 90


def test_a_cancelled_subscription_still_in_use_is_expired_and_its_billing_owed_back() -> None:
    found = classify(line(subscription_status="cancelled", purchased=0, assigned=12, engaged=12), POLICY)
    assert [f.finding_class for f in found] == ["expired", "over_billed"]
    expired, over_billed = found
    assert (expired.seats, expired.action, expired.monthly) == (12, "renew", usd("211.20"))  # 12 x 17.60
    assert expired.action_text == (
        "renew Microsoft 365 Business Premium (subscription SUB-1) for 12 seats, or remove it from the 12 "
        "users and devices still using it"
    )
    assert (over_billed.seats, over_billed.monthly) == (20, usd("440.00"))
    assert line_class(found) == "expired"


def test_a_commitment_past_its_end_without_auto_renewal_is_expired() -> None:
    lapsed = line(commitment_end_date=date(2026, 10, 31), auto_renew=False, billed=None)
    assert [f.finding_class for f in classify(lapsed, POLICY)] == ["expired"]
    renewing = line(commitment_end_date=date(2026, 10, 31), auto_renew=True)
    assert classify(renewing, POLICY) == []


def test_an_expired_subscription_nobody_uses_any_more_is_no_finding() -> None:
    assert classify(line(subscription_status="suspended", assigned=0, engaged=0, billed=None), POLICY) == []


def test_an_unknown_unit_cost_raises_the_finding_with_money_unknown() -> None:
    f = only(classify(line(unit_cost=None, assigned=22, engaged=22), POLICY))
    assert (f.finding_class, f.seats, f.monthly) == ("over_deployed", 2, None)
    assert material(f, Policy(min_monthly=Decimal(1000)))  # unknown money is judged by seats only


def test_findings_come_most_urgent_first_and_the_line_takes_the_first() -> None:
    found = classify(line(assigned=22, engaged=22, billed=Decimal(15)), POLICY)
    assert [f.finding_class for f in found] == ["over_deployed", "under_billed"]
    assert line_class(found) == "over_deployed"


def test_materiality_thresholds_hold_back_small_findings() -> None:
    f = only(classify(line(billed=Decimal(19)), POLICY))  # 1 seat, 22.00
    assert material(f, POLICY)
    assert not material(f, Policy(min_seats=2))
    assert not material(f, Policy(min_monthly=Decimal("22.01")))
    assert material(f, Policy(min_monthly=Decimal("22.00")))


def test_money_is_seats_times_the_unit_rounded_half_up_to_the_cent() -> None:
    assert monthly(3, usd("0.125")) == usd("0.38")
    assert monthly(3, Money(amount=Decimal("2.005"), currency="EUR")) == Money(
        amount=Decimal("6.02"), currency="EUR"
    )
    assert monthly(3, None) is None


# -- finding lifecycle ---------------------------------------------------------------------------


def test_a_finding_id_is_stable_per_client_sku_and_class() -> None:
    a = finding_id("C-1001", "cbdc14ab", "unused")
    assert a == finding_id("C-1001", "cbdc14ab", "unused")
    assert (
        len({a, finding_id("C-1002", "cbdc14ab", "unused"), finding_id("C-1001", "cbdc14ab", "over_billed")})
        == 3
    )


def test_a_finding_opens_updates_only_when_its_gap_changes_and_resolves() -> None:
    f = only(classify(line(billed=Decimal(16)), POLICY))
    assert change_of(f, None) == "opened"
    assert change_of(f, Gap.of(f)) is None
    bigger = only(classify(line(billed=Decimal(15)), POLICY))
    assert change_of(bigger, Gap.of(f)) == "updated"
    assert change_of(None, Gap.of(f)) == "resolved"
    assert change_of(None, None) is None


# -- renewals --------------------------------------------------------------------------------------


def test_recommended_quantity_is_engaged_users_plus_the_buffer_rounded_up() -> None:
    assert recommended_quantity(20, Decimal(10)) == 22
    assert recommended_quantity(21, Decimal(10)) == 24  # 23.1 -> 24
    assert recommended_quantity(0, Decimal(10)) == 0
    assert recommended_quantity(10, Decimal(0)) == 10


@pytest.mark.parametrize(
    ("days_left", "stage"),
    [(91, None), (90, 90), (61, 90), (60, 60), (45, 60), (30, 30), (15, 30), (14, 14), (0, 14), (-1, None)],
)
def test_reminders_fall_at_90_60_30_and_14_days(days_left: int, stage: int | None) -> None:
    renewal = date(2027, 3, 31)
    assert reminder_stage(renewal, date.fromordinal(renewal.toordinal() - days_left)) == stage


def test_only_subscriptions_that_do_not_simply_renew_monthly_are_reviewed() -> None:
    assert renews_monthly("monthly", 1) and renews_monthly("monthly", None)
    assert not renews_monthly("monthly", 12) and not renews_monthly("annual", None)


def renewal(**changes: object) -> RenewalInput:
    base = RenewalInput(
        subscription_id="SUB-1",
        client_id="C-1001",
        sku_id="cbdc14ab",
        product_name="Microsoft 365 Business Premium",
        quantity=30,
        renewal_date=date(2027, 1, 31),
        billing_term="monthly",
        commitment_term_months=12,
        unit_cost=usd("17.60"),
        engaged_on_sku=20,
        others_on_sku=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_renewal_is_right_sized_to_engaged_users_with_the_buffer() -> None:
    r = review(renewal(), date(2026, 12, 1), Decimal(10))  # 61 days left
    assert r is not None
    assert (r.days_left, r.reminder_days, r.recommended, r.change) == (61, 90, 22, -8)
    assert r.monthly_saving == usd("140.80")  # 8 x 17.60
    assert r.action_text == (
        "renew Microsoft 365 Business Premium (subscription SUB-1) on 2027-01-31 with 22 seats: remove 8"
    )


def test_a_shared_sku_leaves_the_other_subscriptions_their_seats() -> None:
    # 28 engaged -> 31 recommended for the SKU; a monthly top-up holds 5, so the annual renews at 26
    r = review(renewal(quantity=25, engaged_on_sku=28, others_on_sku=5), date(2027, 1, 20), Decimal(10))
    assert r is not None
    assert (r.reminder_days, r.recommended, r.change, r.monthly_saving) == (14, 26, 1, usd("-17.60"))
    assert r.action_text.endswith("with 26 seats: add 1")


def test_monthly_subscriptions_and_far_renewals_get_no_review() -> None:
    assert review(renewal(commitment_term_months=1), date(2027, 1, 20), Decimal(10)) is None
    assert review(renewal(), date(2026, 10, 1), Decimal(10)) is None  # 122 days left
