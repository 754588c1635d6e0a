"""The ledger's formulas on small cases, every expectation worked out by hand in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from cpi.domain.alerts import (
    Driver,
    Policy,
    band_of,
    crosses,
    drivers,
    judge,
    settled_band,
    summary,
    trailing_mean,
    trailing_move,
)
from cpi.domain.costing import (
    Item,
    RateInput,
    first_difference,
    labour_cost,
    match,
    normalise_rates,
    per_month,
    product_key,
    rate_on,
    split_over_months,
)
from cpi.domain.ledger import MonthLines, efficiency_index, figures, write_down, write_down_entries
from cpi.domain.months import add_months, last_closed_month, months_between
from cpi.domain.quality import quality

D = Decimal
POLICY = Policy()


def rate(start: date, cost: str, end: date | None = None, currency: str = "USD") -> RateInput:
    return RateInput(start, end, D(cost), currency)


def month(fee: str, labour: str, hours: str = "10", **more: str) -> MonthLines:
    return MonthLines(
        revenue_fee=D(fee), cost_labour=D(labour), labour_hours=D(hours), **{k: D(v) for k, v in more.items()}
    )  # type: ignore[arg-type]


# -- costing ---------------------------------------------------------------------------------------


def test_labour_cost_is_hours_times_rate_times_multiplier() -> None:
    # 1.5 h x 80 x 1.5 (overtime) = 180; 2 h x 47.333 = 94.666 -> 4 decimals: 94.6660
    assert labour_cost(D("1.5"), D(80), D("1.5")) == D("180.0000")
    assert labour_cost(D(2), D("47.333")) == D("94.6660")
    assert labour_cost(D(3), D(50), D(0)) == 0  # a 0 multiplier means no labour cost (CW)


def test_the_rate_in_force_on_the_work_date_applies() -> None:
    periods = normalise_rates([rate(date(2026, 1, 15), "80"), rate(date(2025, 1, 1), "50")])
    # 50 from 2025-01-01 to 2026-01-14, then 80 (a later start ends the earlier rate the day before)
    assert rate_on(periods, date(2026, 1, 14)).hourly_cost == 50  # type: ignore[union-attr]
    assert rate_on(periods, date(2026, 1, 15)).hourly_cost == 80  # type: ignore[union-attr]
    assert rate_on(periods, date(2024, 12, 31)) is None  # before any rate: uncosted


def test_an_effective_dated_change_recosts_only_from_its_date() -> None:
    old = normalise_rates([rate(date(2025, 1, 1), "50")])
    new = normalise_rates([rate(date(2025, 1, 1), "50"), rate(date(2026, 1, 15), "80")])
    assert first_difference(old, new) == date(2026, 1, 15)
    assert first_difference(old, old) is None
    # a rate ended early leaves a gap from the day after its end
    gap = normalise_rates([rate(date(2025, 1, 1), "50", end=date(2025, 12, 31))])
    assert first_difference(old, gap) == date(2026, 1, 1)


def test_rates_with_the_same_start_do_not_depend_on_list_order() -> None:
    a, b = rate(date(2025, 1, 1), "50"), rate(date(2025, 1, 1), "55")
    assert normalise_rates([a, b]) == normalise_rates([b, a])


def test_cycle_amounts_are_monthly_and_period_lines_split_in_cents() -> None:
    assert per_month(D(3000), "quarterly") == D(1000)  # 3000 / 3
    assert per_month(D(1200), "annual") == D(100)  # 1200 / 12
    assert per_month(D(500), "one_time") is None
    # 100 over 3 months: 33.33 + 33.33 + 33.34 (remainder in the last month)
    assert split_over_months(D(100), 3) == [D("33.33"), D("33.33"), D("33.34")]


# -- month figures -----------------------------------------------------------------------------


def test_profit_margin_effective_and_contribution_rate() -> None:
    lines = MonthLines(
        revenue_fee=D(3000),
        cost_addition=D(700),
        cost_labour=D(1100),
        labour_hours=D(20),
        prepaid_hours=D("7.5"),
    )
    f = figures(lines, D(60), hours_included=D(10))
    # profit = 3000 - (700 + 1100) = 1200; margin = 1200 / 3000 = 40 %
    assert (f.profit, f.gross_margin_pct) == (D(1200), D(40))
    # effective rate = (3000 - 700) / 20 = 115 (MSPCFO's example); contribution = 1200 / 20 = 60
    assert (f.effective_rate, f.contribution_rate) == (D(115), D(60))
    # prepaid burn: 7.5 of 10 included hours = 75 %
    assert (f.hours_used, f.burn_pct) == (D("7.5"), D(75))
    # efficiency index = 0.40 + (1 - 0.60) = 0.80
    assert f.efficiency_index == D("0.8000")


def test_no_revenue_and_no_hours_give_no_ratio_rather_than_zero() -> None:
    f = figures(MonthLines(cost_labour=D(100)), D(60))
    assert (f.gross_margin_pct, f.effective_rate, f.efficiency_index, f.burn_pct) == (None, None, None, None)


def test_efficiency_index_is_one_on_target() -> None:
    assert efficiency_index(D(60), D(60)) == 1  # 0.60 + 0.40
    assert efficiency_index(D("45.5"), D(60)) == D("0.8550")  # 0.455 + 0.40


def test_fixed_fee_write_down_scales_each_entry_by_its_share() -> None:
    # CW's example: cap 500, 2 h at 100 (200) + 4 h at 150 (600) = 800 of time value
    # each entry x 500/800: 200 -> 125, 600 -> 375; written rate 500 / 6 h = 83.33
    assert write_down_entries([D(200), D(600)], D(500)) == [D(125), D(375)]
    w = write_down(D(800), D(500), D(6))
    assert (w.written_value, w.write_down) == (D(500), D(300))
    assert (w.effective_rate_raw, w.effective_rate_written) == (D("133.33"), D("83.33"))
    # under the cap nothing is written down
    assert write_down_entries([D(100), D(50)], D(500)) == [D(100), D(50)]


def test_write_down_rounding_keeps_the_cap_exact() -> None:
    # 3 x 100 capped at 100: 33.33 each, the remainder 0.01 on the first of the largest
    parts = write_down_entries([D(100), D(100), D(100)], D(100))
    assert parts == [D("33.34"), D("33.33"), D("33.33")] and sum(parts) == 100


def test_data_quality_counters_are_reported_never_zeroed() -> None:
    dq = quality(MonthLines(uncosted_hours=D("2.5"), currency_mismatches=1))
    assert not dq.clean
    assert dq.warnings() == [
        "2.5 h have no cost rate on their work date: labour cost is understated",
        "1 facts in another currency were left out (never converted)",
    ]


def test_a_licence_line_matches_an_addition_by_sku_when_both_have_one_else_by_product() -> None:
    addition = Item(sku="SKU-E3", product="M365")
    assert match(Item("SKU-E3", "M365"), addition) == "sku"
    assert match(Item("SKU-E3", None), addition) == "sku"
    # two SKUs under one PSA product are two licences, two costs
    assert match(Item("SKU-E5", "M365"), addition) is None
    # the line printed without its SKU: the product decides (the 250 once, not twice)
    assert match(Item(None, "M365"), addition) == "product"
    assert match(Item("SKU-E3", "M365"), Item(None, "M365")) == "product"
    assert match(Item(None, "BACKUP"), addition) is None
    assert match(Item(None, None), Item(None, None)) is None  # nothing to match on: the line's own cost


def test_product_ids_are_compared_as_ids() -> None:
    assert [product_key(p) for p in (" M365-BP ", "M365-BP", "m365-bp", "  ", None)] == [
        "M365-BP",
        "M365-BP",
        "m365-bp",  # case kept, like every id (a PSA may have both)
        None,
        None,
    ]


def test_product_matches_and_unmatched_licence_cost_are_reported() -> None:
    dq = quality(MonthLines(lines_matched_by_product=2, licence_cost_unmatched=D("49.995")))
    assert not dq.clean
    assert dq.warnings() == [
        "2 product/licence invoice lines were matched to an agreement addition by product id only "
        "(no vendor SKU on one side)",
        "50.00 of licence cost comes from invoice lines no agreement addition or subscription "
        "matches (by vendor SKU or product id): check the agreement resells it",
    ]


# -- bands, triggers, drivers ------------------------------------------------------------------


def test_bands() -> None:
    got = [band_of(D(m), POLICY) for m in ("60", "59.99", "40", "39.99", "20", "19.99", "-5")]
    assert got == ["strong", "healthy", "healthy", "thin", "thin", "critical", "critical"]


def test_trailing_mean_leaves_out_months_without_revenue() -> None:
    assert trailing_mean([D(50), None, D(41)]) == D("45.50")  # (50 + 41) / 2
    assert trailing_mean([None]) is None


def test_drivers_are_ordered_by_their_effect_on_profit() -> None:
    before = month("1000", "300", hours="6", cost_licence="100")
    after = month("1100", "700", hours="14", cost_licence="150", leakage="60")
    got = [(d.line, d.change) for d in drivers(after, before)]
    # labour cost +400 -> -400; fee +100 -> +100; leakage +60 -> -60; licence cost +50 -> -50
    assert got == [
        ("labour_cost", D(-400)),
        ("agreement_fee", D(100)),
        ("other", D(-60)),
        ("licence_cost", D(-50)),
    ]
    assert drivers(after, before)[0].detail == "labour cost 300.00 -> 700.00 (6.00 h -> 14.00 h)"


def test_a_band_crossing_triggers() -> None:
    # previous 1000 - 300 = 70 % (strong); now 1000 - 650 = 35 % (thin): crossed
    j = judge("2026-02", month("1000", "650"), [month("1000", "300")], None, POLICY)
    assert j is not None and (j.publish, j.trigger, j.band, j.previous_band) == (
        True,
        "band_crossed",
        "thin",
        "strong",
    )
    assert (j.direction, j.previous_margin_pct) == ("down", D(70))


def test_the_trailing_mean_triggers_on_a_move_held_two_months() -> None:
    # most recent first: last month 65 %, then 80, 80, 80 % (the 3-month baseline: 80 %)
    history = [month("10000", "3500"), month("10000", "2000"), month("10000", "2000"), month("10000", "2000")]
    # now 64 %: still strong; the last 2 months (6400 + 6500) / 20000 = 64.5 %, 15.5 points under
    # 80 % (> 10), and each month on its own is more than 10 under (16, 15): sustained erosion
    j = judge("2026-05", month("10000", "3600"), history, None, POLICY)
    assert j is not None and (j.trigger, j.band, j.direction) == ("trailing_mean", "strong", "down")
    assert (j.recent_pct, j.trailing_mean_pct) == (D("64.5"), D(80))
    # 72 %: the window is (7200 + 6500) / 20000 = 68.5 %, 11.5 under, but 72 % is only 8 under: quiet
    quiet = judge("2026-05", month("10000", "2800"), history, None, POLICY)
    assert quiet is not None and not quiet.publish


def test_a_one_month_spike_is_not_a_trailing_mean_move() -> None:
    # 95 % for four months (fee 10000, labour 500), then 62 %: the month alone is 33 points under,
    # the 2-month window (6200 + 9500) / 20000 = 78.5 % is 16.5 under, but last month (95 %) did not
    # move: a spike, not erosion (and 62 % is still strong: no crossing)
    history = [month("10000", "500")] * 4
    j = judge("2026-05", month("10000", "3800"), history, None, POLICY)
    assert j is not None and not j.publish and j.recent_pct == D("78.5")
    # with sustain_months=1 (the month against the 3 before it) the spike is news
    one = judge("2026-05", month("10000", "3800"), history, None, replace(POLICY, sustain_months=1))
    assert one is not None and (one.trigger, one.trailing_mean_pct) == ("trailing_mean", D(95))


def test_a_trailing_mean_move_must_be_material() -> None:
    # the same shape as above (80, 80, 80, 65, now 64 %) on a fee of 1000 a month: the 2 months
    # made 650 + 640 = 1290 against 80 % of 2000 = 1600, 310 less: under the 500 floor, not news;
    # on a fee of 2000 a month it is 2580 against 3200, 620 less: news
    def case(fee: int) -> list[MonthLines]:
        return [month(str(fee), str(fee * 35 // 100))] + [month(str(fee), str(fee // 5))] * 3

    small = judge("2026-05", month("1000", "360"), case(1000), None, POLICY)
    assert small is not None and not small.publish
    big = judge("2026-05", month("2000", "720"), case(2000), None, POLICY)
    assert big is not None and big.trigger == "trailing_mean"
    assert trailing_move(month("1000", "360"), case(1000), POLICY).profit_change == D(-310)  # type: ignore[union-attr]
    assert trailing_move(month("2000", "720"), case(2000), POLICY).profit_change == D(-620)  # type: ignore[union-attr]


def test_a_band_crossing_needs_the_hysteresis_margin() -> None:
    # previous 42 % (healthy); now 38 %: thin, but only 2 points under 40 (< 5): no crossing
    assert not judge("2026-02", month("1000", "620"), [month("1000", "580")], None, POLICY).publish  # type: ignore[union-attr]
    # 35 %: 5 points inside thin: crossed, from healthy
    j = judge("2026-02", month("1000", "650"), [month("1000", "580")], None, POLICY)
    assert j is not None and (j.trigger, j.band, j.previous_band, j.direction) == (
        "band_crossed",
        "thin",
        "healthy",
        "down",
    )
    # upwards the same: 38 % -> 43 % is 3 points inside healthy (quiet), -> 45 % is 5 (crossed)
    assert not judge("2026-02", month("1000", "570"), [month("1000", "620")], None, POLICY).publish  # type: ignore[union-attr]
    up = judge("2026-02", month("1000", "550"), [month("1000", "620")], None, POLICY)
    assert up is not None and (up.trigger, up.direction) == ("band_crossed", "up")


def test_with_band_sustain_months_one_bad_month_is_not_a_crossing() -> None:
    policy = replace(POLICY, band_sustain_months=2)

    def pct(margin: int) -> MonthLines:  # fee 1000: labour = 1000 - 10 x margin
        return month("1000", str(1000 - 10 * margin))

    # healthy at 50, 50, 48 %; then 30 % (thin, 10 points inside): the first month out is not news
    # (48 % before it did not cross), though without the setting it is
    one = judge("2026-04", pct(30), [pct(48), pct(50), pct(50)], None, policy)
    assert one is not None and (one.band, one.publish) == ("thin", False)
    assert judge("2026-04", pct(30), [pct(48), pct(50), pct(50)], None, POLICY).trigger == "band_crossed"  # type: ignore[union-attr]
    # a second month out, 32 % (8 inside): both crossed out of healthy, settled before them: news.
    # (The trailing mean stays quiet: 31 % against 49.33 %, but 620 of profit against 986.67 at the
    # baseline is 366.67 less, under the 500 floor.)
    two = judge("2026-05", pct(32), [pct(30), pct(48), pct(50), pct(50)], None, policy)
    assert two is not None and (two.trigger, two.band, two.settled_band, two.previous_band) == (
        "band_crossed",
        "thin",
        "healthy",
        "thin",  # the previous month's own band (30 %)
    )
    assert two.direction == "up"  # 32 % against 30 % the month before: the margin rose
    # the third month in thin, 31 %: the client is now settled in thin (30 % crossed): quiet
    three = judge("2026-06", pct(31), [pct(32), pct(30), pct(48), pct(50)], None, policy)
    assert three is not None and not three.publish
    # a month up (65 %, strong, 5 inside) then a month down (30 %) are not one crossing
    mixed = judge("2026-05", pct(30), [pct(65), pct(50), pct(50), pct(50)], None, policy)
    assert mixed is not None and not mixed.publish


def test_a_slow_slide_leaves_its_band_once_it_is_clearly_out() -> None:
    # 42, 39, 36 % (oldest first): 39 and 36 are thin but within 5 points of 40, so the client is
    # still settled in healthy; 33 % is 7 points inside thin: crossed from healthy
    assert settled_band([D(42), D(39), D(36)], POLICY) == "healthy"
    assert settled_band([D(42), D(34), D(38)], POLICY) == "thin"  # 34 crossed; 38 is still thin
    history = [month("1000", "640"), month("1000", "610"), month("1000", "580")]  # 36, 39, 42 %
    j = judge("2026-04", month("1000", "670"), history, None, POLICY)
    assert j is not None and (j.trigger, j.settled_band, j.previous_margin_pct) == (
        "band_crossed",
        "healthy",
        D(36),
    )
    # the schema's previous_band is the previous month's own band: 36 % is thin
    assert (j.previous_band, j.direction) == ("thin", "down")


def test_a_first_month_is_not_news_and_a_month_without_revenue_is_not_judged() -> None:
    first = judge("2026-01", month("1000", "900"), [], None, POLICY)
    assert first is not None and not first.publish and first.band == "critical"
    assert judge("2026-01", MonthLines(cost_labour=D(10)), [], None, POLICY) is None


def test_a_rejudged_month_is_published_only_when_its_band_changes() -> None:
    now = month("1000", "650")  # 35 % thin
    assert not judge("2026-02", now, [month("1000", "300")], "thin", POLICY).publish  # type: ignore[union-attr]
    again = judge("2026-02", now, [month("1000", "300")], "healthy", POLICY)
    assert again is not None and (again.publish, again.trigger) == (True, "rejudged")
    # with the band hysteresis: last judged healthy, a late fact moves it to 38 % (2 points inside
    # thin, < 5): not news
    assert not judge("2026-02", month("1000", "620"), [month("1000", "300")], "healthy", POLICY).publish  # type: ignore[union-attr]


def test_problem_client_after_two_months_below_20_percent() -> None:
    # previous 1000 - 850 = 15 %, now 1000 - 900 = 10 %: both critical -> problem client
    j = judge("2026-03", month("1000", "900"), [month("1000", "850")], None, POLICY)
    assert j is not None and j.problem_client
    # one month below 20 % is not enough
    k = judge("2026-03", month("1000", "900"), [month("1000", "700")], None, POLICY)
    assert k is not None and not k.problem_client


def test_a_month_closes_after_its_end_plus_the_grace_days() -> None:
    # grace 5: February closes on 1 March + 5 days = 6 March
    assert last_closed_month(date(2026, 3, 5), 5) == "2026-01"
    assert last_closed_month(date(2026, 3, 6), 5) == "2026-02"
    assert add_months("2026-01", -1) == "2025-12" and list(months_between("2025-11", "2026-01")) == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


# -- a collapse is always news (issue 10) -----------------------------------------------------------

JANUARY = month("2500", "1197.50", hours="23.95")  # 50/h: (2500 - 1197.50) / 2500 = 52.10 % healthy
FEBRUARY = month("2500", "2063.50", hours="41.27")  # (2500 - 2063.50) / 2500 = 436.50 / 2500 = 17.46 %


def test_a_fall_across_whole_bands_is_news_the_month_it_happens() -> None:
    # healthy at 52.10 %, then 17.46 % (critical) on labour 1197.50 -> 2063.50: only 2.54 points
    # inside critical (the old rule wanted 5), but 22.54 under the healthy/thin boundary it left.
    # One month of history: no trailing mean (no baseline before the 2-month window), and the
    # crossing alone publishes.
    assert crosses(D("17.46"), "healthy", POLICY) and not crosses(D("37.5"), "healthy", POLICY)
    j = judge("2026-02", FEBRUARY, [JANUARY], None, POLICY)
    assert j is not None and (j.publish, j.trigger, j.trailing_mean_pct) == (True, "band_crossed", None)
    assert (j.margin_pct, j.band, j.previous_margin_pct, j.previous_band, j.settled_band) == (
        D("17.46"),
        "critical",
        D("52.10"),
        "healthy",
        "healthy",
    )
    assert (j.direction, j.problem_client) == ("down", False)  # January was above 20 %
    # the margin bridge: labour cost -866.00 first, the unchanged fee (0) after it
    assert j.drivers == (
        Driver("labour_cost", D("-866.00"), "labour cost 1197.50 -> 2063.50 (23.95 h -> 41.27 h)"),
        Driver("agreement_fee", D("0.00"), "agreement fees 2500.00 -> 2500.00"),
    )
    assert summary("Contoso", j) == (
        "Contoso's gross margin for 2026-02 fell from 52.10% (healthy) to 17.46% (critical); "
        "biggest driver: labour cost 1197.50 -> 2063.50 (23.95 h -> 41.27 h) (-866.00)."
    )


def test_hysteresis_still_holds_a_client_at_its_boundary() -> None:
    # settled critical at 17.46 %: 21 % (1 point past 20) is not news, 26 % (6 points) is
    assert not judge("2026-03", month("1000", "790"), [FEBRUARY], None, POLICY).publish  # type: ignore[union-attr]
    up = judge("2026-03", month("1000", "740"), [FEBRUARY], None, POLICY)
    assert up is not None and (up.trigger, up.band, up.direction) == ("band_crossed", "thin", "up")


def test_a_month_that_held_says_so_and_still_shows_its_bridge() -> None:
    # March at 17.46 % again: settled critical (February crossed), no crossing; the trailing mean
    # does hold: (436.50 + 436.50) / 5000 = 17.46 % against January's 52.10 %, 34.64 points down,
    # each month too, and 873 of profit against 52.10 % x 5000 = 2605: 1732 less (>= 500).
    j = judge("2026-03", FEBRUARY, [FEBRUARY, JANUARY], None, POLICY)
    assert j is not None and (j.trigger, j.settled_band, j.previous_band) == (
        "trailing_mean",
        "critical",
        "critical",
    )
    # unchanged against February: the direction is the trailing move's (down), never a "rise"
    assert (j.direction, j.problem_client) == ("down", True)
    assert [(d.line, d.change) for d in j.drivers] == [("agreement_fee", D(0)), ("labour_cost", D(0))]
    assert summary("Contoso", j) == (
        "Contoso's gross margin for 2026-03 held at 17.46% (critical); down to 17.46% over its recent "
        "months from 52.10% in the months before them; problem client (2 months below 20%)."
    )


def test_a_published_judgement_that_late_facts_change_is_corrected() -> None:
    # April was published at 31 % (thin, from healthy at 52.10 % in March); late time entries take
    # it to 17 % (critical): a correction, against the previous month (down) and naming what it
    # corrects. The old rule only re-published a crossing out of the judged band by 5 points
    # (17 % is 3 inside critical): the published 31 % stood.
    april = month("1000", "830")  # 17 %
    j = judge("2026-04", april, [JANUARY], "thin", POLICY, last_margin_pct=D(31), last_published=True)
    assert j is not None and (j.publish, j.trigger, j.band, j.direction) == (
        True,
        "rejudged",
        "critical",
        "down",
    )
    assert (j.corrects_pct, j.corrects_band) == (D(31), "thin")
    assert summary("Contoso", j).startswith(
        "Contoso's gross margin for 2026-04 fell from 52.10% (healthy) to 17.00% (critical); late facts "
        "re-opened the month, correcting the 31.00% (thin) published before"
    )
    # a late fact that moves a published judgement by less than 5 points inside its band: no news;
    # by 6 points (31 -> 37 %, still thin): corrected
    small = judge(
        "2026-04", month("1000", "680"), [JANUARY], "thin", POLICY, last_margin_pct=D(31), last_published=True
    )
    assert small is not None and not small.publish
    big = judge(
        "2026-04", month("1000", "630"), [JANUARY], "thin", POLICY, last_margin_pct=D(31), last_published=True
    )
    assert big is not None and (big.publish, big.trigger) == (True, "rejudged")
