"""Margin bands, the change triggers and the drivers behind a ``client.profitability.changed``.

When a closed month is judged (see ``judge``):

* it is never published on its first judgement when nothing can be compared (no earlier month with
  revenue): a first month is not a change;
* on its first judgement it is published when
  - its margin *crosses* out of the band the client was settled in: the band of the previous months
    with hysteresis (``hysteresis_points``, default 5): a margin leaves a band only when it is at
    least that many points past the boundary it left (``crosses``), so a client hovering at 40 %
    does not flap between healthy and thin (``settled_band``), while a fall across one or more whole
    bands (healthy at 52 % to critical at 17 %, 23 points under the healthy/thin boundary though
    only 3 inside critical) is always news, the month it happens, with or without earlier history
    for the trailing mean; with ``band_sustain_months`` = k, the k months ending with
    the judged one must each have crossed out of the band settled before them, the same way
    (``sustained_crossing``), so one bad month is not news, or
  - the *trailing-mean* trigger: the revenue-weighted margin of the last ``sustain_months`` months
    (default 2, the judged one included) is more than ``change_points`` (default 10) from the
    revenue-weighted margin of the 3 months before them, each of those months is past the threshold
    on its own, on the same side (a one-month spike is noise; sustained erosion is news), and the
    move is material: it changed those months' profit by at least ``min_profit_change`` (default
    500, the client's currency) (``trailing_move``);
* the *problem client* flag is set when this and the previous month are both below ``thin_pct``;
* once judged, a late fact re-judges it (a *re-judgement*): a month whose judgement was published is
  published again, as a *correction*, when its band or its margin (by ``correction_points`` or
  more) changed, so a published judgement is never left standing wrong; a month not published is
  published when its margin crosses out of the band it was last judged in (with the same
  hysteresis). The same judgement is never published twice.

What the judgement says follows ``client.profitability.changed``'s schema: ``previous_band`` and
``direction`` are against the previous month (``settled_band`` is the band with hysteresis);
``drivers`` is the margin bridge from the previous month (every line of either month, the ones that
moved profit most first).

``sustain_months=1``, ``hysteresis_points=0`` and ``min_profit_change=0`` give the first rule (a
single month against its trailing mean, any band change), except that the trailing margin is now
revenue-weighted. Defaults chosen against the simulator's truth: see the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from cpi.domain.ledger import ZERO, MonthLines, cents, gross_margin_pct, pct, total

Band = Literal["strong", "healthy", "thin", "critical"]
Line = Literal[
    "agreement_fee",
    "labour_revenue",
    "product_revenue",
    "licence_revenue",
    "labour_cost",
    "licence_cost",
    "product_cost",
    "other",
]
Trigger = Literal["band_crossed", "trailing_mean", "rejudged"]


@dataclass(frozen=True)
class Policy:
    strong_pct: Decimal = Decimal(60)
    healthy_pct: Decimal = Decimal(40)
    thin_pct: Decimal = Decimal(20)
    target_pct: Decimal = Decimal(60)
    change_points: Decimal = Decimal(10)
    problem_months: int = 2
    max_drivers: int = 5
    hysteresis_points: Decimal = Decimal(5)
    """A band crossing counts only when the margin is at least this many points inside the new band."""
    sustain_months: int = 2
    """The trailing-mean trigger compares the revenue-weighted margin of the last this-many months
    (the judged one included) with the 3 months before them, and each of those months must be past
    the threshold on its own: a one-month spike is noise (1 = the judged month alone)."""
    baseline_months: int = 3
    min_profit_change: Decimal = Decimal(500)
    """Materiality: the trailing-mean move must change the window's profit by at least this amount
    (its revenue x the points moved), so a few points on a tiny invoice are not news."""
    band_sustain_months: int = 1
    """A band crossing counts only when this many consecutive months (the judged one last) have
    each crossed out of the band the client was settled in before them, the same way (1 = the
    judged month alone)."""
    correction_points: Decimal = Decimal(5)
    """A re-judged month whose judgement was published is corrected when its band changed or its
    margin moved by at least this many points (a late cent is not news; 31 % → 17 % is)."""

    @property
    def history_months(self) -> int:
        """How many months before the judged one ``judge`` looks at."""
        return max(self.sustain_months - 1 + self.baseline_months, self.band_sustain_months, 1)


def band_of(margin_pct: Decimal, policy: Policy) -> Band:
    """>= strong: strong; >= healthy: healthy; >= thin: thin; else critical."""
    if margin_pct >= policy.strong_pct:
        return "strong"
    if margin_pct >= policy.healthy_pct:
        return "healthy"
    if margin_pct >= policy.thin_pct:
        return "thin"
    return "critical"


def trailing_mean(margins: Sequence[Decimal | None]) -> Decimal | None:
    """Mean of the known margins (months without revenue are left out), to 0.01."""
    known = [m for m in margins if m is not None]
    if not known:
        return None
    return pct(sum(known, ZERO) / len(known))


@dataclass(frozen=True)
class Driver:
    line: Line
    change: Decimal
    """Effect on gross profit: positive raised the margin, negative lowered it."""
    detail: str


# (line, attribute, sign): revenue raises profit, cost lowers it; leakage is money at stake.
_LINES: tuple[tuple[Line, str, int, str], ...] = (
    ("agreement_fee", "revenue_fee", 1, "agreement fees"),
    ("labour_revenue", "revenue_labour", 1, "labour billed"),
    ("product_revenue", "revenue_product", 1, "products billed"),
    ("licence_revenue", "revenue_licence", 1, "licences billed"),
    ("other", "revenue_other", 1, "other revenue"),
    ("labour_cost", "cost_labour", -1, "labour cost"),
    ("licence_cost", "cost_licence", -1, "licence cost"),
    ("licence_cost", "cost_addition", -1, "agreement addition cost"),
    ("product_cost", "cost_product", -1, "product cost"),
    ("other", "cost_other", -1, "other direct cost"),
    ("other", "leakage", -1, "licence leakage (unbilled or unused seats)"),
)


def drivers(current: MonthLines, previous: MonthLines | None, limit: int = 5) -> list[Driver]:
    """The margin bridge from the previous month: the lines whose change moved profit most, biggest
    absolute effect first (ties by line name), then, when there is a previous month, the lines of
    either month that did not move (change 0), so that the bridge is never empty: an owner sees
    that revenue held while labour cost rose, or that nothing moved at all. Without a previous
    month, the lines that moved against an empty month."""
    before = previous or MonthLines()
    moved: list[Driver] = []
    held: list[Driver] = []
    for line, attribute, sign, label in _LINES:
        now, then = getattr(current, attribute), getattr(before, attribute)
        effect = cents((now - then) * sign)
        if effect == 0 and (previous is None or (cents(now) == 0 and cents(then) == 0)):
            continue
        detail = f"{label} {cents(then)} -> {cents(now)}"
        if attribute == "cost_labour":
            detail += f" ({_hours(before.labour_hours)} h -> {_hours(current.labour_hours)} h)"
        (moved if effect else held).append(Driver(line, effect, detail))
    moved.sort(key=lambda d: (-abs(d.change), d.line, d.detail))
    return [*moved, *held][:limit]


def _hours(hours: Decimal) -> Decimal:
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Judgement:
    """A closed month's verdict; ``publish`` says whether it is news."""

    month: str
    margin_pct: Decimal
    band: Band
    publish: bool
    trigger: Trigger | None
    previous_margin_pct: Decimal | None
    previous_band: Band | None
    """The previous month's own band (the schema's "band in the previous period"); None without
    a previous month with revenue."""
    trailing_mean_pct: Decimal | None
    """The revenue-weighted margin of the ``baseline_months`` before the trailing-mean window."""
    direction: Literal["up", "down"]
    """Against the previous month's margin; when unchanged (or no previous month), the direction of
    the move that made it news (see ``move_direction``)."""
    problem_client: bool
    drivers: tuple[Driver, ...]
    recent_pct: Decimal | None = None
    """The revenue-weighted margin of the trailing-mean window (the judged month and the
    ``sustain_months - 1`` before it)."""
    settled_band: Band | None = None
    """The band the client was settled in before this month, with hysteresis (``settled_band``):
    what a crossing is judged against."""
    corrects_pct: Decimal | None = None
    """A correction: the margin of the published judgement it corrects."""
    corrects_band: Band | None = None


_RANK: dict[Band, int] = {"critical": 0, "thin": 1, "healthy": 2, "strong": 3}


def past_boundary(margin_pct: Decimal, settled: Band, policy: Policy) -> Decimal:
    """How many points ``margin_pct`` is outside ``settled``, from the boundary it left (0 inside)."""
    lower = {"strong": policy.strong_pct, "healthy": policy.healthy_pct, "thin": policy.thin_pct}
    upper = {"healthy": policy.strong_pct, "thin": policy.healthy_pct, "critical": policy.thin_pct}
    if settled in lower and margin_pct < lower[settled]:
        return lower[settled] - margin_pct
    if settled in upper and margin_pct >= upper[settled]:
        return margin_pct - upper[settled]
    return Decimal(0)


def crosses(margin_pct: Decimal, settled: Band, policy: Policy) -> bool:
    """A margin leaves ``settled`` only when it is ``hysteresis_points`` or more past the boundary it
    left: hovering around one boundary is not news, a fall across whole bands always is (measured
    from the new band's boundary, 52 % → 17 % would be 3 points inside critical and hidden)."""
    band = band_of(margin_pct, policy)
    return band != settled and past_boundary(margin_pct, settled, policy) >= policy.hysteresis_points


def settled_band(margins: Sequence[Decimal | None], policy: Policy) -> Band | None:
    """The band a series of margins (oldest first; None = no revenue) ends in, with hysteresis:
    it starts in the first known margin's band and moves only on a ``crosses``."""
    state: Band | None = None
    for margin in margins:
        if margin is None:
            continue
        if state is None or crosses(margin, state, policy):
            state = band_of(margin, policy)
    return state


def sustained_crossing(window: Sequence[Decimal | None], settled: Band | None, policy: Policy) -> bool:
    """Every margin of ``window`` crosses out of ``settled`` (``crosses``), all on the same side."""
    if settled is None or not window or any(m is None for m in window):
        return False
    margins = [m for m in window if m is not None]
    if not all(crosses(m, settled, policy) for m in margins):
        return False
    return len({_RANK[band_of(m, policy)] < _RANK[settled] for m in margins}) == 1


@dataclass(frozen=True)
class Move:
    """The trailing-mean comparison: the window's margin against the baseline's."""

    recent_pct: Decimal
    baseline_pct: Decimal
    points: Decimal
    """recent - baseline: negative is erosion."""
    profit_change: Decimal
    """The window's profit minus what it would have been at the baseline margin."""
    sustained: bool
    """Every month of the window is past ``change_points`` on the same side of the baseline."""

    def triggers(self, policy: Policy) -> bool:
        return (
            abs(self.points) > policy.change_points
            and self.sustained
            and abs(self.profit_change) >= policy.min_profit_change
        )


def trailing_move(current: MonthLines, history: Sequence[MonthLines | None], policy: Policy) -> Move | None:
    """Compare the revenue-weighted margin of the judged month and the ``sustain_months - 1``
    before it (each must have revenue) with the revenue-weighted margin of the
    ``baseline_months`` before those; None when either has no revenue."""
    k = max(policy.sustain_months, 1)
    window = [current, *history[: k - 1]]
    if len(window) < k or any(m is None or gross_margin_pct(m) is None for m in window):
        return None
    months = [m for m in window if m is not None]
    base = total([m for m in history[k - 1 : k - 1 + policy.baseline_months] if m is not None])
    baseline = gross_margin_pct(base)
    if baseline is None:
        return None
    recent = total(months)
    recent_pct = gross_margin_pct(recent)
    assert recent_pct is not None
    points = recent_pct - baseline
    singles = [gross_margin_pct(m) for m in months]
    sign = 1 if points > 0 else -1
    sustained = all(p is not None and (p - baseline) * sign > policy.change_points for p in singles)
    profit = recent.billed - recent.cost
    change = cents(profit - recent.billed * baseline / 100)
    return Move(recent_pct, baseline, points, change, sustained)


def problem_client(margin_pct: Decimal | None, previous_margin_pct: Decimal | None, policy: Policy) -> bool:
    """This and the previous month both below ``thin_pct`` (Breadbox's "Problem Client"): the same
    rule for the event and the API, so the flag an owner sees on screen is the one RAM acts on."""
    return (
        margin_pct is not None
        and previous_margin_pct is not None
        and margin_pct < policy.thin_pct
        and previous_margin_pct < policy.thin_pct
    )


def judge(
    month: str,
    current: MonthLines,
    history: Sequence[MonthLines | None],
    last_judged_band: str | None,
    policy: Policy,
    *,
    last_margin_pct: Decimal | None = None,
    last_published: bool = False,
) -> Judgement | None:
    """Judge ``month`` from its lines and the ``policy.history_months`` previous months, most recent
    first (None = no row for that month). None when the month has no revenue (no margin to judge).
    ``last_judged_band`` (with ``last_margin_pct`` and ``last_published``) is the month's previous
    judgement when this is a re-judgement."""
    margin = gross_margin_pct(current)
    if margin is None:
        return None
    band = band_of(margin, policy)
    previous = history[0] if history else None
    previous_margin = gross_margin_pct(previous) if previous is not None else None
    past = [gross_margin_pct(h) if h is not None else None for h in reversed(history)]
    held = max(policy.band_sustain_months, 1) - 1  # earlier months of the crossing window
    settled = settled_band(past[: len(past) - held], policy)
    move = trailing_move(current, history, policy)
    trigger: Trigger | None = None
    corrects: tuple[Decimal | None, Band | None] = (None, None)
    if last_judged_band is not None:
        last: Band = last_judged_band  # type: ignore[assignment]
        if last_published:  # a published judgement is never left standing wrong
            moved = last_margin_pct is None or abs(margin - last_margin_pct) >= policy.correction_points
            if band != last or moved:
                trigger, corrects = "rejudged", (last_margin_pct, last)
        elif crosses(margin, last, policy):
            trigger = "rejudged"
    elif sustained_crossing([*past[len(past) - held :], margin], settled, policy):
        trigger = "band_crossed"
    elif move is not None and move.triggers(policy):
        trigger = "trailing_mean"
    if previous_margin is not None and margin != previous_margin:
        down = margin < previous_margin
    elif trigger == "band_crossed" and settled is not None:
        down = _RANK[band] < _RANK[settled]
    elif trigger == "trailing_mean" and move is not None:
        down = move.points < 0
    elif trigger == "rejudged" and corrects[0] is not None:
        down = margin < corrects[0]
    else:
        down = margin < policy.target_pct
    problem = problem_client(margin, previous_margin, policy)
    return Judgement(
        month=month,
        margin_pct=margin,
        band=band,
        publish=trigger is not None,
        trigger=trigger,
        previous_margin_pct=previous_margin,
        previous_band=band_of(previous_margin, policy) if previous_margin is not None else None,
        trailing_mean_pct=move.baseline_pct if move is not None else None,
        direction="down" if down else "up",
        problem_client=problem,
        drivers=tuple(drivers(current, previous, policy.max_drivers)),
        recent_pct=move.recent_pct if move is not None else None,
        settled_band=settled,
        corrects_pct=corrects[0],
        corrects_band=corrects[1],
    )


def summary(client_name: str, judgement: Judgement) -> str:
    """One sentence for people, true to the figures: "fell from 52.10% (healthy) to 17.46%
    (critical)", "held at 17.46%" when the month did not move (never "rose from X to X")."""
    j = judgement
    text = f"{client_name}'s gross margin for {j.month}"
    if j.previous_margin_pct is None:
        text += f" was {j.margin_pct}% ({j.band}), with no previous month to compare"
    elif j.margin_pct == j.previous_margin_pct:
        text += f" held at {j.margin_pct}% ({j.band})"
    else:
        moved = "rose" if j.margin_pct > j.previous_margin_pct else "fell"
        text += f" {moved} from {j.previous_margin_pct}% ({j.previous_band}) to {j.margin_pct}% ({j.band})"
    if j.trigger == "band_crossed" and j.settled_band is not None and j.settled_band != j.previous_band:
        text += f", out of the {j.settled_band} band it had settled in"
    if j.trigger == "trailing_mean" and j.trailing_mean_pct is not None and j.recent_pct is not None:
        text += (
            f"; {'down' if j.recent_pct < j.trailing_mean_pct else 'up'} to {j.recent_pct}% over its recent "
            f"months from {j.trailing_mean_pct}% in the "
            "months before them"
        )
    if j.trigger == "rejudged":
        text += "; late facts re-opened the month"
        if j.corrects_pct is not None:
            text += f", correcting the {pct(j.corrects_pct)}% ({j.corrects_band}) published before"
    if j.drivers and j.drivers[0].change:
        top = j.drivers[0]
        text += f"; biggest driver: {top.detail} ({top.change:+})"
    if j.problem_client:
        text += "; problem client (2 months below 20%)"
    return text + "."
