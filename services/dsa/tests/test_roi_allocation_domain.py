"""RAM's allocation advice in the ROI ledger, worked by hand: promised from the day RAM made it
until RAM re-plans the client; realised, for the moves seen acted on (the ticket assigned to the
recommended technician after the advice) and while they stay in place, the labour cost the hours
logged on the moved tickets saved: hours x multiplier x (the previous technician's rate - the rate
of whoever logged them), both in force on the work date."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from dsa.domain.roi import (
    AdvisedMove,
    AllocationAdvice,
    Assignment,
    Costed,
    CostRate,
    LabourEntry,
    allocation_recommendations,
    entries,
    month_totals,
)

D = Decimal


def advice(made: str, saving: str, *moves: AdvisedMove) -> AllocationAdvice:
    return AllocationAdvice(
        client_id="C-7",
        period=made[:7],
        made_on=date.fromisoformat(made[:10]),
        order=(made, "d"),
        monthly_saving=D(saving),
        currency="USD",
        summary=f"re-plan of {made[:10]}",
        moves=moves,
    )


def state(at: str, technician: str | None) -> Assignment:
    return Assignment(date.fromisoformat(at[:10]), (at, "s"), technician)


MARCH = advice(
    "2026-03-10T09:00:00+00:00",
    "620",
    AdvisedMove("T-1", "ticket", "TECH-B", D(310), "TECH-A"),
    AdvisedMove("T-2", "ticket", "TECH-B", D(270), "TECH-A"),
    AdvisedMove("V-1", "visit", "TECH-B", D(40), "TECH-A"),
)
APRIL = advice("2026-04-16T09:00:00+00:00", "300", AdvisedMove("T-3", "ticket", "TECH-C", D(300), "TECH-A"))
HISTORY = {
    # assigned to B before the advice: not a sign of acting on it; to B on 17 March, away on 4 April
    "T-1": [
        state("2026-03-09T10:00:00+00:00", "TECH-B"),
        state("2026-03-10T08:00:00+00:00", "TECH-A"),
        state("2026-03-17T11:00:00+00:00", "TECH-B"),
        state("2026-04-04T11:00:00+00:00", "TECH-A"),
    ],
    "T-2": [state("2026-03-20T10:00:00+00:00", "TECH-A")],  # never moved
    "T-3": [state("2026-04-16T12:00:00+00:00", "TECH-C")],
    "V-1": [state("2026-03-18T10:00:00+00:00", "TECH-B")],  # a visit has no assignment fact: ignored
}


def rate(start: str, end: str | None, cost: str) -> CostRate:
    return CostRate(date.fromisoformat(start), date.fromisoformat(end) if end else None, D(cost), "USD")


RATES = {
    "TECH-A": [rate("2026-01-01", "2026-03-31", "60"), rate("2026-04-01", None, "70")],
    "TECH-B": [rate("2026-01-01", None, "40"), rate("2026-04-02", None, "45")],  # the later one wins
    "TECH-C": [rate("2026-01-01", None, "50")],
}


def logged(technician: str, day: str, hours: str, multiplier: str = "1") -> LabourEntry:
    return LabourEntry(technician, date.fromisoformat(day), D(hours), D(multiplier))


LABOUR = {
    "T-1": [
        logged("TECH-A", "2026-03-12", "2"),  # before the move: not counted
        logged("TECH-B", "2026-03-18", "2"),  # 2 x (60 - 40) = 40
        logged("TECH-B", "2026-03-20", "1.5", "1.5"),  # overtime: 2.25 x 20 = 45
        logged("TECH-C", "2026-03-25", "1"),  # someone else did it: 1 x (60 - 50) = 10
        logged("TECH-B", "2026-04-02", "3"),  # April rates: 3 x (70 - 45) = 75
        logged("TECH-A", "2026-04-06", "1"),  # moved back on 4 April: not counted
    ],
    "T-2": [logged("TECH-A", "2026-03-21", "4")],  # never moved
    "T-3": [
        logged("TECH-C", "2026-04-20", "2"),  # 2 x (70 - 50) = 40
        logged("TECH-D", "2026-04-21", "1"),  # no rate known for TECH-D: left out, not guessed
    ],
}


def test_advice_is_promised_until_the_client_is_re_planned_and_realised_as_the_labour_cost_saved() -> None:
    march, april = allocation_recommendations([MARCH, APRIL], HISTORY, LABOUR, RATES)
    assert (march.agent, march.kind, march.counts_from, march.counts_until) == (
        "ram",
        "allocation",
        date(2026, 3, 10),
        date(2026, 4, 15),
    )
    assert march.acted_on == date(2026, 3, 17)
    assert isinstance(march.realisation, Costed)
    through = date(2026, 4, 30)
    # March: 22 days of 620/31 = 440 promised; T-1 in place 17-31 March: 40 + 45 + 10 = 95 saved
    # April: 1-15 of 620/30 = 310 promised; T-1 in place 1-3 April: 75 saved
    assert [(e.month, e.expected, e.realised) for e in entries(march, through)] == [
        (date(2026, 3, 1), D(440), D(95)),
        (date(2026, 4, 1), D(310), D(75)),
    ]
    # the re-plan of 16 April: 15 x 300/30 = 150 promised, T-3 moved the same day after it: 40 saved
    assert april.counts_until is None and april.acted_on == date(2026, 4, 16)
    assert [(e.month, e.expected, e.realised) for e in entries(april, through)] == [
        (date(2026, 4, 1), D(150), D(40)),
    ]
    totals = month_totals(e for r in (march, april) for e in entries(r, through))
    assert [(t.month, t.expected, t.realised) for t in totals] == [
        (date(2026, 3, 1), D(440), D(95)),
        (date(2026, 4, 1), D(460), D(115)),
    ]


def test_the_ledger_does_not_depend_on_the_order_the_facts_arrived_in() -> None:
    first = allocation_recommendations([MARCH, APRIL], HISTORY, LABOUR, RATES)
    for order in itertools.permutations([MARCH, APRIL]):
        shuffled = {k: list(reversed(v)) for k, v in HISTORY.items()}
        labour = {k: list(reversed(v)) for k, v in LABOUR.items()}
        rates = {k: list(reversed(v)) for k, v in RATES.items()}
        assert allocation_recommendations(order, shuffled, labour, rates) == first


def test_a_move_from_nobody_or_without_hours_realises_nothing() -> None:
    unassigned = advice("2026-03-10T09:00:00+00:00", "310", AdvisedMove("T-1", "ticket", "TECH-B", D(310)))
    (rec,) = allocation_recommendations([unassigned], HISTORY, LABOUR, RATES)
    assert rec.acted_on == date(2026, 3, 17)  # acted on, but nothing to compare the hours with
    assert [e.realised for e in entries(rec, date(2026, 4, 30))] == [D(0), D(0)]
    (rec,) = allocation_recommendations([MARCH], HISTORY, {}, RATES)
    assert [e.realised for e in entries(rec, date(2026, 4, 30))] == [D(0), D(0)]


def test_advice_never_acted_on_is_promised_and_realises_nothing() -> None:
    (rec,) = allocation_recommendations(
        [MARCH], {"T-2": HISTORY["T-2"], "V-1": HISTORY["V-1"]}, LABOUR, RATES
    )
    assert rec.acted_on is None
    # 10-31 March and all of April: 440 + 620 promised, nothing realised (no honest measure)
    assert [(e.expected, e.realised) for e in entries(rec, date(2026, 4, 30))] == [
        (D(440), D(0)),
        (D(620), D(0)),
    ]


def test_advice_without_a_saving_is_not_a_recommendation() -> None:
    assert allocation_recommendations([advice("2026-03-10T09:00:00+00:00", "0")], {}) == []
