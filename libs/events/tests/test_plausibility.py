"""The plausibility window: facts dated far outside the service clock (or, before any tick, their
own event time) are refused with a reason that names the field, the date and the bound."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.codec.errors import Reason
from msp_events.registry import REGISTRY, EventData, event
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.plausibility import ImplausibleFact, PlausibilityWindow, _years_from
from msp_events.runtime.settings import ServiceSettings
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted, TimeEntryLogged

CLOCK = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
WINDOW = PlausibilityWindow()


def entry(work_date: date, time: datetime | None = None) -> Envelope[TimeEntryLogged]:
    data = TimeEntryLogged(
        time_entry_id="E-1",
        client_id="C-1",
        technician_id="T-1",
        work_date=work_date,
        hours=Decimal("1"),
        work_type="Remote Support",
        billable_option="no_charge",
        hours_billed=Decimal(0),
    )
    return Envelope.build(data, source="psa.test", time=time or datetime(2026, 5, 1, tzinfo=UTC))


def test_the_default_window_is_ten_years_back_and_one_ahead_inclusive() -> None:
    assert WINDOW.problem(entry(date(2016, 5, 31)), CLOCK) is None
    assert WINDOW.problem(entry(date(2027, 5, 31)), CLOCK) is None
    assert WINDOW.problem(entry(date(2016, 5, 30)), CLOCK) == (
        "work_date 2016-05-30 is more than 10 years before the service clock 2026-05-31; "
        "check the source system's export"
    )
    assert WINDOW.problem(entry(date(2027, 6, 1)), CLOCK) == (
        "work_date 2027-06-01 is more than 1 year after the service clock 2026-05-31; "
        "check the source system's export"
    )


def test_the_issue_case_a_time_entry_dated_year_one() -> None:
    problem = WINDOW.problem(entry(date(1, 1, 1), time=datetime(1, 1, 1, tzinfo=UTC)), CLOCK)
    assert problem is not None
    assert problem.startswith(
        "work_date 0001-01-01 is more than 10 years before the service clock 2026-05-31"
    )


def test_without_a_clock_the_event_time_is_the_reference_and_itself_unchecked() -> None:
    old = datetime(2001, 3, 1, tzinfo=UTC)
    assert WINDOW.problem(entry(date(2001, 2, 27), time=old), None) is None  # an old, consistent fact
    assert WINDOW.problem(entry(date(1, 1, 1), time=old), None) == (
        "work_date 0001-01-01 is more than 10 years before the event's time 2001-03-01; "
        "check the source system's export"
    )


def test_with_a_clock_the_event_time_is_checked_too() -> None:
    problem = WINDOW.problem(entry(date(2026, 5, 1), time=datetime(2035, 1, 1, tzinfo=UTC)), CLOCK)
    assert problem is not None
    assert problem.startswith("the event time 2035-01-01 is more than 1 year after the service clock")


def test_types_without_fact_dates_and_the_clock_itself_are_never_checked() -> None:
    ancient = datetime(1990, 1, 1, tzinfo=UTC)
    client = ClientUpserted(client_id="C-1", name="Old", status="active", created_on=date(1990, 1, 1))
    assert WINDOW.problem(Envelope.build(client, source="psa.test", time=ancient), CLOCK) is None
    far = datetime(9999, 1, 1, tzinfo=UTC)
    assert (
        WINDOW.problem(Envelope.build(ClockTicked(now=far), source="msp.platform", time=far), CLOCK) is None
    )
    assert REGISTRY.get("clock.ticked").fact_dates == ()


def test_the_window_is_configurable_and_its_refusal_has_its_own_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAUSIBLE_YEARS_BACK", "30")
    monkeypatch.setenv("PLAUSIBLE_YEARS_AHEAD", "0")
    settings = ServiceSettings(service_name="cpi")
    wide = PlausibilityWindow(settings.plausible_years_back, settings.plausible_years_ahead)
    assert wide.problem(entry(date(2000, 1, 1)), CLOCK) is None
    assert wide.problem(entry(date(2026, 6, 1)), CLOCK) is not None
    assert "more than 0 years after" in (wide.problem(entry(date(2026, 6, 1)), CLOCK) or "")
    error = ImplausibleFact("why")
    assert isinstance(error, PermanentError)
    assert error.reason is Reason.IMPLAUSIBLE_TIME
    assert PermanentError("x").reason is Reason.HANDLER_REJECTED


def test_year_arithmetic_clamps_to_the_calendar_and_handles_leap_days() -> None:
    assert _years_from(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert _years_from(date(5, 6, 1), -10) == date.min
    assert _years_from(date(9999, 1, 1), 1) == date.max


@pytest.mark.parametrize(
    ("fact_dates", "says"),
    [(("nope",), "fact date 'nope' is not a date or datetime field"), (("label",), "'label' is not a date")],
)
def test_a_fact_date_must_name_a_date_field(fact_dates: tuple[str, ...], says: str) -> None:
    class Probe(EventData):
        """A probe."""

        probe_id: str
        label: str

    with pytest.raises(ValueError, match=says):
        event("test.probe.dated", owner="source", key="probe_id", fact_dates=fact_dates)(Probe)
    assert "test.probe.dated" not in REGISTRY


def test_the_dated_facts_are_declared() -> None:
    dated: dict[str, Any] = {s.type: s.fact_dates for s in REGISTRY if s.fact_dates}
    assert dated["psa.time_entry.logged"] == ("work_date",)
    assert dated["billing.invoice.issued"] == ("invoice_date",)
    assert dated["finance.expense.recorded"] == ("expense_date",)
    assert dated["cloud.cost.recorded"] == ("usage_date",)
    assert dated["licensing.seat.activity"] == ("observed_at",)
    for type_name in ("psa.agreement.upserted", "licensing.subscription.upserted", "contract.renewal.due"):
        assert type_name not in dated  # end and renewal dates may rightly lie years ahead
