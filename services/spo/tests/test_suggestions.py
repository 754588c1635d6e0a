"""The five opportunity rules, each with a case that fires and one that must not, and the
suggestion lifecycle: one open per client and reason, closed when acted on or expired."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from spo.domain.suggestions import (
    Agreement,
    Client,
    Facts,
    Margin,
    Open,
    Rules,
    TmMonth,
    Violation,
    licence_true_ups,
    reconcile,
    renewals,
    repricing,
    suggestion_id,
    tm_conversions,
    whitespace,
)

TODAY = date(2026, 11, 20)
RULES = Rules()


def agreement(i: str, client: str, kind: str = "managed_services", **kw: object) -> Agreement:
    fields: dict[str, object] = {
        "agreement_id": i,
        "client_id": client,
        "agreement_type": kind,
        "end_date": None,
        "notice_period_days": None,
        "monthly_fee": Decimal(3000),
        "currency": "USD",
        "cancelled": False,
        "products": (),
    }
    fields.update(kw)
    return Agreement(**fields)  # type: ignore[arg-type]


def test_renewal_fires_within_120_days_and_acts_by_the_notice_deadline() -> None:
    facts = Facts(agreements=[agreement("AG-1", "C-1", end_date=date(2027, 3, 1), notice_period_days=60)])
    [c] = renewals(facts, TODAY, RULES)
    assert (c.kind, c.reason, c.act_by, c.recurring_monthly) == (
        "renewal",
        "AG-1",
        date(2026, 12, 31),
        Decimal("3000.00"),
    )
    assert "ends on 2027-03-01 (101 days)" in c.summary


def test_renewal_does_not_fire_121_days_out_evergreen_or_cancelled() -> None:
    facts = Facts(
        agreements=[
            agreement("AG-1", "C-1", end_date=TODAY + timedelta(days=121)),
            agreement("AG-2", "C-2", end_date=None),
            agreement("AG-3", "C-3", end_date=TODAY + timedelta(days=30), cancelled=True),
        ]
    )
    assert renewals(facts, TODAY, RULES) == []


def tm(client: str, hours: str, billed: str) -> list[TmMonth]:
    return [
        TmMonth(client, m, Decimal(hours), Decimal(billed), "USD") for m in ("2026-08", "2026-09", "2026-10")
    ]


def test_tm_conversion_fires_when_managed_is_cheaper_for_them_and_better_for_the_msp() -> None:
    # 20 h x 150 = 3,000 a month T&M; managed fee 2,700; MSP cost 16 h x 55 = 880 (67 %) vs 1,100 (63 %)
    [c] = tm_conversions(Facts(tm=tm("C-1", "20", "3000")), TODAY, RULES)
    assert (c.kind, c.recurring_monthly) == ("tm_conversion", Decimal("2700.00"))
    assert "67%" in c.summary and "63%" in c.summary


def test_tm_conversion_does_not_fire_for_small_spend_or_a_managed_client() -> None:
    small = Facts(tm=tm("C-1", "5", "750"))
    managed = Facts(tm=tm("C-2", "20", "3000"), agreements=[agreement("AG-2", "C-2")])
    assert tm_conversions(small, TODAY, RULES) == []
    assert tm_conversions(managed, TODAY, RULES) == []


def test_tm_conversion_does_not_fire_when_the_msp_would_earn_less() -> None:
    # at a low hourly rate the discounted fee leaves a thinner margin than billing by the hour
    thin = Rules(managed_discount_pct=Decimal(40))
    assert tm_conversions(Facts(tm=tm("C-1", "30", "1800")), TODAY, thin) == []


def peers(backup_buyers: int, size: int = 40) -> Facts:
    clients = {f"C-{i}": Client(f"C-{i}", "Legal", size, True) for i in range(7)}
    agreements = [
        agreement(
            f"AG-{i}",
            f"C-{i}",
            products=(("BACKUP", Decimal(400 + 10 * i)),) if 1 <= i <= backup_buyers else (),
        )
        for i in range(7)
    ]
    return Facts(clients=clients, agreements=agreements)


def test_whitespace_fires_when_most_peers_buy_a_category_the_client_lacks() -> None:
    found = [c for c in whitespace(peers(5), TODAY, RULES) if c.client_id == "C-0"]
    [c] = found
    assert (c.kind, c.reason, c.recurring_monthly) == (
        "whitespace",
        "BACKUP",
        Decimal("430.00"),
    )  # median of 410..450
    assert "5 of 6 Legal clients of 20-49 employees buy BACKUP" in c.summary


def test_whitespace_does_not_fire_below_the_share_or_across_size_bands() -> None:
    assert [c for c in whitespace(peers(3), TODAY, RULES) if c.client_id == "C-0"] == []
    mixed = peers(5)
    mixed.clients["C-0"] = Client("C-0", "Legal", 300, True)  # another size band: no peers
    assert [c for c in whitespace(mixed, TODAY, RULES) if c.client_id == "C-0"] == []


def violation(open_: bool = True) -> Violation:
    return Violation("V-1", "C-1", "SPB", 3, Decimal("66.00"), "USD", date(2027, 1, 31), open_)


def test_licence_true_up_fires_on_an_open_unbilled_finding() -> None:
    [c] = licence_true_ups(Facts(violations=[violation()]), TODAY, RULES)
    assert (c.kind, c.sku_id, c.recurring_monthly, c.act_by) == (
        "licence_true_up",
        "SPB",
        Decimal("66.00"),
        date(2027, 1, 31),
    )


def test_licence_true_up_does_not_fire_on_a_resolved_finding() -> None:
    assert licence_true_ups(Facts(violations=[violation(open_=False)]), TODAY, RULES) == []


def margin(pct: str, direction: str = "down", target: str | None = "40", band: str = "thin") -> Margin:
    revenue = Decimal(10000)
    cost = revenue * (1 - Decimal(pct) / 100)
    goal = None if target is None else Decimal(target)
    return Margin("C-1", "2026-10", Decimal(pct), goal, band, direction, revenue, cost, "USD")


def test_repricing_fires_on_a_margin_drop_below_target() -> None:
    # revenue 10,000, cost 7,500 (25 %): 7,500 / 0.6 = 12,500 restores 40 %, so +2,500 a month
    [c] = repricing(Facts(margins=[margin("25")]), TODAY, RULES)
    assert (c.kind, c.recurring_monthly) == ("price_increase", Decimal("2500.00"))


def test_repricing_does_not_fire_above_target_or_on_a_rise() -> None:
    assert repricing(Facts(margins=[margin("45", band="healthy")]), TODAY, RULES) == []
    assert repricing(Facts(margins=[margin("25", direction="up")]), TODAY, RULES) == []


def test_one_open_suggestion_per_client_and_reason_with_a_stable_id() -> None:
    [c] = renewals(Facts(agreements=[agreement("AG-1", "C-1", end_date=date(2027, 3, 1))]), TODAY, RULES)
    first = reconcile([c], [], set(), TODAY)
    [(sid, _)] = first.opened
    assert sid == suggestion_id("C-1", "renewal", "AG-1", TODAY)
    again = reconcile([c], [Open(sid, "C-1", "renewal", "AG-1", c.act_by)], set(), TODAY + timedelta(days=1))
    assert (again.opened, again.closed) == ([], [])


def test_a_suggestion_closes_when_acted_on_or_expired_and_is_not_repeated_after_expiry() -> None:
    [c] = renewals(Facts(agreements=[agreement("AG-1", "C-1", end_date=date(2027, 3, 1))]), TODAY, RULES)
    o = Open("S-1", "C-1", "renewal", "AG-1", c.act_by)
    assert reconcile([], [o], set(), TODAY).closed == [("S-1", "acted_on")]  # renewed: the finding is gone
    late = c.act_by + timedelta(days=1)
    assert reconcile([c], [o], set(), late).closed == [("S-1", "expired")]
    key = ("C-1", "renewal", "AG-1")
    assert reconcile([c], [], {key}, late).opened == []
    assert reconcile([], [], {key}, late).released == [key]
