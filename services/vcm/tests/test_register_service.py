"""The register end to end in process: a document in, its terms published, reminders driven by
clock.ticked only and each fired exactly once on a replayed clock, and a renewal case opened."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events.codec.kafka import decode
from msp_events.testing.service import RunningService, running_service

from vcm import api
from vcm.app import create_service
from vcm.settings import Settings
from vcm.store.contracts import ContractRepository
from vcm.store.tables import ContractRow, RenewalCase, RenewalReminder

sys.path.insert(0, str(Path(__file__).parent))
from vcm_facts import MSA, T0, arrived, client_agreement, document, tick


class Running(RunningService):
    def published(self, topic: str) -> list[Any]:
        return [decode(r.value, r.headers).data for r in self.system.bus.records(topic)]

    def contract(self) -> ContractRow:
        with Session(self.service.engine) as session:
            [row] = session.exec(select(ContractRow)).all()
            return row

    def reminders(self) -> list[RenewalReminder]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(RenewalReminder).order_by(RenewalReminder.offset_days)))

    def cases(self) -> list[RenewalCase]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(RenewalCase)))


@pytest.fixture
async def vcm(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'vcm.db'}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


async def test_a_document_becomes_a_contract_with_its_terms_published(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    row = vcm.contract()
    assert (row.effective_date, row.expiration_date) == (date(2026, 3, 1), date(2027, 2, 28))
    assert (row.notice_value, row.notice_unit, row.auto_renew) == (90, "days", True)
    assert (row.annual_value, row.currency, row.state) == (36000, "USD", "pending_approval")
    [event] = vcm.published("contract.terms.extracted")
    assert event.contract_id == row.contract_id and event.notice_deadline == date(2026, 11, 30)
    assert event.parties == ["Acme Backup, Inc.", "Northwind Managed Services LLC"]
    assert event.governing_law == "New York" and event.annual_value.amount == 36000


async def test_a_business_day_notice_period_gives_a_weekday_deadline(vcm: Running) -> None:
    """Term to Sunday 28 Feb 2027, "thirty (30) business days prior": deadline Monday 18 Jan 2027
    (hand-worked in test_deadlines.py), published as 30 days flagged as business days."""
    text = MSA.replace("ninety (90) days prior", "thirty (30) business days prior")
    await vcm.deliver(arrived(document(text=text)))
    assert (vcm.contract().notice_value, vcm.contract().notice_unit) == (30, "workdays")
    [event] = vcm.published("contract.terms.extracted")
    assert (event.notice_period_value, event.notice_period_unit) == (30, "days")
    assert event.notice_period_business_days is True and event.notice_deadline == date(2027, 1, 18)


async def test_reminders_fire_on_the_clock_once_each_even_when_the_clock_is_replayed(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    deadline = date(2026, 11, 30)
    at = T0.replace(year=2026, month=11, day=30)
    days = [at - timedelta(days=n) for n in (121, 120, 119, 90, 60, 45, 30, 7, 1)]
    await vcm.deliver(*[tick(d) for d in days])
    # the same ticks again, and later ones within the same days: nothing new
    await vcm.deliver(*[tick(d) for d in days[1:4]], *[tick(d + timedelta(hours=5)) for d in days[6:8]])
    due = vcm.published("contract.renewal.due.v2")
    first_term = [e for e in due if e.notice_deadline == deadline]
    assert [e.days_to_notice_deadline for e in first_term] == [120, 90, 60, 30, 7]
    assert all(e.renewal_date == date(2027, 2, 28) and e.annual_value.amount == 36000 for e in first_term)
    assert first_term[0].expected_uplift_pct == 5 and first_term[0].auto_renew
    assert [(r.offset_days, r.outcome) for r in vcm.reminders() if r.notice_deadline == deadline] == [
        (7, "published"),
        (30, "published"),
        (60, "published"),
        (90, "published"),
        (120, "published"),
    ]
    [case] = vcm.cases()
    assert (case.notice_deadline, case.status, case.opened_on) == (deadline, "open", date(2026, 8, 2))


async def test_a_contract_of_unknown_value_gets_its_reminders_without_a_value(vcm: Running) -> None:
    """``contract.renewal.due`` 2.0: the deadline is warned about even when no document states the
    fee; no consensus is proposed (the threshold needs a value)."""
    no_fee = MSA.replace("annual fees of USD 36,000.00, invoiced annually", "the fees in each order")
    await vcm.deliver(arrived(document(text=no_fee)))
    assert vcm.contract().annual_value is None
    await vcm.deliver(tick(T0.replace(month=11, day=30) - timedelta(days=120)))
    [due] = vcm.published("contract.renewal.due.v2")
    assert (due.days_to_notice_deadline, due.notice_deadline) == (120, date(2026, 11, 30))
    assert due.annual_value is None
    assert [(r.offset_days, r.outcome) for r in vcm.reminders()] == [(120, "published")]
    assert vcm.published("decision.proposed.v2") == []
    [case] = vcm.cases()
    assert (case.status, case.annual_value) == ("open", None)


async def test_the_client_agreement_comes_from_the_psa_and_an_outliving_commitment_warns(
    vcm: Running,
) -> None:
    """The Acme MSA (term to 2027-02-28, renews yearly) backs client C-1's agreement: the renewed
    term would end 2028-02-29, past an agreement ending 2027-06-30 -> warned; once the PSA extends
    the agreement to 2029-12-31, not; a second agreement makes the link ambiguous until it is set."""
    await vcm.deliver(client_agreement("A-1", date(2027, 6, 30)), arrived(document(client_id="C-1")))
    cid = vcm.contract().contract_id
    await vcm.deliver(tick(T0.replace(month=11, day=30) - timedelta(days=120)))
    [due] = vcm.published("contract.renewal.due.v2")
    assert (due.client_agreement_id, due.outlives_client_agreement) == ("A-1", True)
    async with vcm.http() as http:
        before = (await http.get(f"/contracts/{cid}")).json()
        await vcm.deliver(client_agreement("A-1", date(2029, 12, 31), at=T0 + timedelta(days=30)))
        extended = (await http.get(f"/contracts/{cid}")).json()
        await vcm.deliver(client_agreement("A-2", date(2026, 12, 31), at=T0 + timedelta(days=31)))
        ambiguous = (await http.get(f"/contracts/{cid}")).json()
        patched = await http.patch(f"/contracts/{cid}", json={"client_agreement_id": "A-2"})
        cancelled = client_agreement("A-1", None, at=T0 + timedelta(days=40), cancelled=True)
        await vcm.deliver(cancelled)  # A-2 alone is live now, but the link set by hand holds
        kept = (await http.get(f"/contracts/{cid}")).json()
    link = ("client_agreement_id", "client_agreement_end", "outlives_client_agreement")
    assert [tuple(c[k] for k in link) for c in (before, extended, ambiguous, patched.json(), kept)] == [
        ("A-1", "2027-06-30", True),
        ("A-1", "2029-12-31", False),
        (None, None, None),
        ("A-2", "2026-12-31", True),
        ("A-2", "2026-12-31", True),
    ]


async def test_a_terminated_contract_gets_no_more_reminders_and_keeps_the_trail(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    cid = vcm.contract().contract_id
    deadline = T0.replace(year=2026, month=11, day=30)
    await vcm.deliver(tick(deadline - timedelta(days=120)))  # the 120-day reminder goes out
    body = {"terminated_on": "2027-02-28", "reason": "notice of non-renewal sent to Acme"}
    async with vcm.http() as http:
        ended = await http.post(f"/contracts/{cid}/terminate", json=body)
        again = await http.post(f"/contracts/{cid}/terminate", json=body)
        approve = await http.post(f"/contracts/{cid}/approve", json={})
        patch = await http.patch(f"/contracts/{cid}", json={"set": {"governing_law": "Ohio"}})
        early = await http.post(f"/contracts/{cid}/terminate", json={**body, "terminated_on": "2026-02-01"})
        blank = await http.post(f"/contracts/{cid}/terminate", json={**body, "reason": ""})
        missing = await http.post("/contracts/NOPE/terminate", json=body)
        trail = (await http.get(f"/contracts/{cid}/approvals")).json()
    await vcm.deliver(*[tick(deadline - timedelta(days=n)) for n in (90, 60, 30, 7, 0)])
    async with vcm.http() as http:
        renewals = (await http.get("/renewals", params={"within_days": 400})).json()
        card = (await http.get("/vendors/Acme Backup/scorecard")).json()
    assert ended.status_code == 200
    out = ended.json()
    assert (out["status"], out["terminated_on"], out["deadline"]) == ("terminated", "2027-02-28", None)
    assert out["termination_reason"] == "notice of non-renewal sent to Acme"
    assert [r.status_code for r in (again, approve, patch)] == [409, 409, 409]
    assert "already terminated" in again.json()["detail"]
    assert [r.status_code for r in (early, blank, missing)] == [409, 422, 404]  # already terminated first
    assert [(a["action"], a["from_state"], a["to_state"]) for a in trail] == [
        ("terminate", "pending_approval", "terminated")
    ]
    assert trail[0]["comment"] == "terminated on 2027-02-28: notice of non-renewal sent to Acme"
    assert [e.days_to_notice_deadline for e in vcm.published("contract.renewal.due.v2")] == [120]
    assert [r.offset_days for r in vcm.reminders()] == [120]
    assert [c.status for c in vcm.cases()] == ["closed"]  # the 120-day reminder's case: nothing to decide
    assert renewals == [] and card["next_notice_deadline"] is None
    assert card["by_status"] == {"terminated": 1} and card["annual_value"] == []


async def test_a_termination_before_the_start_is_refused_and_changes_nothing(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    cid = vcm.contract().contract_id
    async with vcm.http() as http:
        early = await http.post(
            f"/contracts/{cid}/terminate", json={"terminated_on": "2026-02-01", "reason": "signed in error"}
        )
        reject = await http.post(f"/contracts/{cid}/reject", json={})
        rejected = await http.post(
            f"/contracts/{cid}/terminate", json={"terminated_on": "2026-06-01", "reason": "x"}
        )
    assert early.status_code == 422 and "before the contract starts" in early.json()["detail"]
    assert reject.status_code == 200 and rejected.status_code == 409
    assert vcm.contract().terminated_on is None and vcm.contract().state == "rejected"


async def test_no_reminder_without_a_tick(vcm: Running) -> None:
    late = T0 + timedelta(days=300)  # the document alone, however late, moves no reminder
    await vcm.deliver(arrived(document(received_at=late)))
    assert vcm.published("contract.renewal.due.v2") == []


async def test_a_late_registration_gets_the_tightest_reminder_only(vcm: Running) -> None:
    await vcm.deliver(arrived(document()), tick(T0 + timedelta(days=319)))  # 10 days before the deadline
    [event] = vcm.published("contract.renewal.due.v2")
    assert event.days_to_notice_deadline == 10
    assert [(r.offset_days, r.outcome) for r in vcm.reminders()] == [
        (30, "published"),
        (60, "skipped"),
        (90, "skipped"),
        (120, "skipped"),
    ]


async def test_an_unreadable_document_is_kept_with_its_status(vcm: Running) -> None:
    await vcm.deliver(arrived(document(text=" ")))
    row = vcm.contract()
    assert (row.read_status, row.state) == ("empty", "draft")
    [event] = vcm.published("contract.terms.extracted")
    assert event.read_status == "empty" and event.needs_review == ["document"]


async def test_an_amendment_changes_only_the_terms_it_states_and_keeps_the_trail(vcm: Running) -> None:
    await vcm.deliver(arrived(document()))
    cid = vcm.contract().contract_id
    amendment = (
        "FIRST AMENDMENT\nThis Amendment is entered into as of May 1, 2026 by and between Acme Backup, Inc. "
        '("Vendor") and Northwind Managed Services LLC ("Customer").\n'
        "1. The term of the Agreement is extended to February 29, 2028."
    )
    await vcm.deliver(
        arrived(
            document(
                amendment,
                document_id="DOC-2",
                contract_id=cid,
                document_kind="amendment",
                received_at=T0 + timedelta(days=100),
            )
        )
    )
    row = vcm.contract()
    assert (row.expiration_date, row.notice_value, row.annual_value) == (date(2028, 2, 29), 90, 36000)
    assert row.agreement_date == date(2026, 1, 2)  # the amendment's own date is not the contract's
    with Session(vcm.service.engine) as session:
        trail = ContractRepository(session).corrections(cid)
        assert ContractRepository(session).search("Northwind") == [cid]
    assert {(c.field_name, c.corrected_by) for c in trail} >= {("expiration_date", "amendment DOC-2")}
    assert [e.expiration_date for e in vcm.published("contract.terms.extracted")] == [
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
