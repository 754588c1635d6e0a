"""Multi-agent consensus end to end: the six agents in the embedded system decide two things.

A hand-built MSP, published step by step (each step settles before the next, as time passes):

* **Renewing a vendor contract** (VCM proposes ``renew_vendor_contract``, weighted: DSA 2, SLI 1,
  CPI 1). Acme Backup's MSA (36,000 USD a year, notice due 30 Nov 2026) gets its first reminder on
  the 2 August tick, above the 10,000 threshold. DSA saw 3,000 USD a month with Acme Backup for the
  12 months before (18 in all, the first ones learned as a monthly bill): stable, within the
  contract, no uplift above 5 % -> approve (confidence 0.5: 12 of 12 months with spend, halved
  because no budget covers a contract without department); SLI holds 50
  Acme Backup seats of which 45 are consumed (90 % >= 80 %) -> approve (confidence 1: the use of
  all 50 is known); CPI abstains (the contract serves no client). Approvers weigh 3 of 4: 2 * 3 > 4
  -> approved, decided at the last vote's cast time (the tick's, 2 Aug). VCM records it on the
  renewal case. A copy of DSA's vote changes nothing; a later vote by SLI (reject, 20 Aug) is
  recorded and changes nothing.
* **Repricing a problem client** (CPI proposes ``raise_client_price``, majority of SPO, RAM,
  SLI). Contoso pays 2,500 a month; 12 h of labour in January (70 %, strong) then 40 h a month
  in February to April (cost 2,300: 8 %), critical three months running, so April's close (7 May
  tick) proposes. SLI is *stopped* when the proposal is published: SPO (Contoso known, churn risk
  unknown, no open deal -> approve, 0.5) and RAM (60 h worked, none billed: 100 % unbilled ->
  approve, 3 of 3 months with work -> 1) vote, and the decision stays open although two of three
  approve (it closes when every voter has voted or at the deadline). SLI restarts, votes from its
  store (Contoso's 10 Microsoft seats, no open finding -> approve, 1), and the decision is
  approved at once, decided at SLI's cast time (7 May). CPI's client view shows it.

The same steps with each step's facts in another delivery order (partitions interleaved at
random, each partition's own order kept) give byte-identical outputs.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import Session

from msp_events import Envelope, agents, eventlog
from msp_events.codec.kafka import decode
from msp_events.runtime.auth import AuthSettings
from msp_events.runtime.consensus import DecisionState, ballots_of, decisions
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.http import build_http_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.service import Service
from msp_events.types.consensus import DecisionVoteCast
from msp_events.types.finance import ExpenseRecorded
from msp_events.types.licensing import SubscriptionUpserted

sys.path.insert(0, str(Path(__file__).parent / "cpi" / "tests"))
sys.path.insert(0, str(Path(__file__).parent / "vcm" / "tests"))
from cpi_ledger_facts import agreement, at, client, invoice, line, technician, tick, time_entry, usd
from vcm_facts import arrived, document

START = datetime(2026, 1, 2, 9, tzinfo=UTC)
MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]
HOURS = [("12",), ("10",) * 4, ("10",) * 4, ("10",) * 4]
RENEWAL_TICK = datetime(2026, 8, 2, tzinfo=UTC)
RENEWAL = "renewal/{contract}/2026-11-30"
REPRICE = "reprice/C-1/2026-04"


def _end(first: date) -> date:
    return (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def steps() -> list[tuple[str, list[Envelope[Any]]]]:
    """The MSP's history in steps; a step named ``stop:<agent>``/``start:<agent>`` is an outage."""
    setup: list[Envelope[Any]] = [
        at(START, client("C-1", "Contoso")),
        at(START, technician("T-1")),
        at(START, agreement("A-1", "C-1", fee="2500")),
        at(START, SubscriptionUpserted(**_seats("S-M365", "C-1", "Microsoft", 10, 10)), source="test.pax8"),
        at(START, SubscriptionUpserted(**_seats("S-ACME", "C-9", "Acme Backup", 50, 45)), source="test.pax8"),
        arrived(document(received_at=datetime(2026, 1, 5, 9, tzinfo=UTC))),
    ]
    # Feb 2025 .. Jul 2026: 3,000 a month with Acme Backup. DSA judges every midnight tick, and a
    # new monthly bill reads as a spike until the detector has learned it (its 4th-6th bills, May
    # to July 2025): those anomalies lie before the 12 months the renewal analysis reads
    for k in range(18):
        day = date(2025 + (1 + k) // 12, (1 + k) % 12 + 1, 10)
        expense = ExpenseRecorded(
            expense_id=f"X-{k}",
            expense_date=day,
            department="IT Operations",
            vendor="Acme Backup",
            category="Software",
            amount=usd("3000"),
        )
        setup.append(at(datetime(day.year, day.month, day.day, 18, tzinfo=UTC), expense, source="test.erp"))
    out: list[tuple[str, list[Envelope[Any]]]] = [("setup", setup)]
    for i, first in enumerate(MONTHS):
        end = _end(first)
        month: list[Envelope[Any]] = []
        for n, hours in enumerate(HOURS[i]):
            worked = first.replace(day=10 + n)
            entry = time_entry(f"E-{i}-{n}", hours, worked, "C-1", "T-1", "A-1")
            month.append(at(datetime(worked.year, worked.month, worked.day, 17, tzinfo=UTC), entry))
        month.append(tick(datetime(first.year, first.month, 15, tzinfo=UTC)))
        fee = line("agreement_fee", "2500", "A-1", period=(first, end))
        billed = datetime(end.year, end.month, end.day, 18, tzinfo=UTC)
        month.append(at(billed, invoice(f"I-{i}", end, [fee], "C-1"), source="test.billing"))
        if i == len(MONTHS) - 1:
            out.append((f"month {first:%Y-%m}", month))
            out.append(("stop:sli", []))
            out.append(("april closes", [tick(datetime(2026, 5, 7, tzinfo=UTC))]))
            out.append(("start:sli", []))
        else:
            month.append(tick(datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=7)))
            out.append((f"month {first:%Y-%m}", month))
    out.append(("renewal reminder", [tick(RENEWAL_TICK)]))
    return out


def fact(type_name: str, key: str) -> Envelope[Any]:
    """One of the facts the steps publish, by type and partition key."""
    [found] = [e for _, facts in steps() for e in facts if e.type == type_name and e.partitionkey == key]
    return found


def _seats(sid: str, client_id: str, vendor: str, quantity: int, consumed: int) -> dict[str, Any]:
    return {
        "subscription_id": sid,
        "client_id": client_id,
        "vendor": vendor,
        "sku_id": f"SKU-{sid}",
        "product_name": f"{vendor} seat",
        "quantity": quantity,
        "consumed_units": consumed,
        "unit_cost": usd("15"),
        "unit_price": usd("20"),
        "billing_term": "monthly",
        "status": "active",
        "start_date": date(2025, 6, 1),
    }


@dataclass
class Run:
    system: EmbeddedSystem
    by_name: dict[str, Service]
    open_after_sli_stopped: list[str]
    before: list[str] | None = None
    """The outputs right after the steps (before the duplicate and late votes)."""

    def published(self, topic: str) -> list[Envelope[Any]]:
        return [decode(r.value, r.headers) for r in self.system.bus.records(topic)]

    async def get(self, service: str, path: str) -> Any:
        """The agent's own API (authentication off, as in the embedded demo)."""
        api = agents.installed()[service].module("api")
        app = build_http_app(self.by_name[service], [api.router], auth=AuthSettings(mode="off"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            response = await client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def decision(self, service: str, decision_id: str) -> DecisionState:
        with Session(self.by_name[service].engine) as session:
            [state] = [d for d in decisions(session) if d.proposal.decision_id == decision_id]
            return state

    def outputs(self) -> list[str]:
        """Every event the agents published, canonical JSON, in a delivery-independent order."""
        lines = []
        for topic in self.system.bus.topics():
            if topic.startswith(("dlt.", "redrive.")):
                continue
            for record in self.system.bus.records(topic):
                envelope = decode(record.value, record.headers)
                if envelope.source.startswith("msp."):
                    lines.append(eventlog.dumps(envelope))
        return sorted(lines)


def _create(name: str, tmp: Path, bus: InProcessBus) -> Service:
    app = agents.installed()[name].app()
    settings = app.Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp}/{name}.db")
    service: Service = app.create_service(settings, transport=bus)
    return service


def interleave(facts: list[Envelope[Any]], rng: random.Random) -> list[Envelope[Any]]:
    """Another order a broker could deliver ``facts`` in: the order within one partition (one type
    and key, as Kafka keeps it) holds, everything across partitions is interleaved at random."""
    queues: dict[tuple[str, str | None], list[Envelope[Any]]] = {}
    for e in facts:
        queues.setdefault((e.type, e.partitionkey), []).append(e)
    out: list[Envelope[Any]] = []
    while queues:
        key = rng.choice(sorted(queues, key=str))
        out.append(queues[key].pop(0))
        if not queues[key]:
            del queues[key]
    return out


async def play(tmp: Path, shuffle: int | None = None, after: Sequence[Envelope[Any]] = ()) -> Run:
    """Run the steps; with ``shuffle``, each step's facts are published in a seeded random order
    (``interleave``)."""
    bus = InProcessBus()
    by_name = {name: _create(name, tmp, bus) for name in agents.names()}
    system = EmbeddedSystem(bus, list(by_name.values()))
    run = Run(system, by_name, [])
    await system.__aenter__()
    for label, facts in steps():
        if label.startswith("stop:"):
            service = by_name[label[5:]]
            await service.stop()
            system.services.remove(service)
            continue
        if label.startswith("start:"):
            with Session(by_name["cpi"].engine) as session:
                run.open_after_sli_stopped = [d.status for d in decisions(session)]
            service = by_name[label[6:]] = _create(label[6:], tmp, bus)
            await service.start()
            system.services.append(service)
            await system.settle()
            continue
        facts = list(facts)
        if shuffle is not None:
            facts = interleave(facts, random.Random(f"{shuffle}/{label}"))
        await system.publish(facts)
        await system.settle()
    if after:
        await system.publish(list(after))
        await system.settle()
    return run


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One log-order play shared by the module's tests (the duplicate/late test runs last)."""
    played = await play(tmp_path_factory.mktemp("consensus"))
    played.before = played.outputs()
    yield played
    await played.system.__aexit__(None, None, None)


async def test_a_renewal_above_the_threshold_is_decided_by_dsa_sli_and_cpi(run: Run) -> None:
    [proposal] = [e for e in run.published("decision.proposed.v2") if e.data.proposer == "vcm"]
    contract = proposal.data.parameters["contract_id"]
    decision_id = RENEWAL.format(contract=contract)
    [due] = [e for e in run.published("contract.renewal.due.v2") if e.data.days_to_notice_deadline == 120]
    assert proposal.data.decision_id == decision_id and proposal.time == RENEWAL_TICK
    assert proposal.data.evidence_event_ids == [due.id]
    assert (proposal.data.rule, proposal.data.weights) == ("weighted", {"dsa": 2, "sli": 1, "cpi": 1})
    assert proposal.data.expires_at == RENEWAL_TICK + timedelta(days=7)
    votes = {
        e.data.voter: e.data for e in run.published("decision.vote.cast") if e.data.decision_id == decision_id
    }
    assert {v: (d.vote, d.confidence) for v, d in votes.items()} == {
        "dsa": ("approve", Decimal("0.50")),
        "sli": ("approve", Decimal("1.00")),
        "cpi": ("abstain", Decimal(0)),
    }
    assert votes["sli"].reason == "45 of 50 Acme Backup seats in use (90.00 %): renew"
    # evidence: events each voter consumed. DSA read the reminder; SLI the Acme subscription it
    # weighed; CPI, abstaining, cites nothing
    assert votes["dsa"].evidence_event_ids == [due.id]
    assert votes["sli"].evidence_event_ids == [fact("licensing.subscription.upserted", "S-ACME").id]
    assert votes["cpi"].evidence_event_ids == []
    [reached] = [e for e in run.published("decision.reached.v2") if e.data.decision_id == decision_id]
    r = reached.data
    assert (r.outcome, r.approvals, r.rejections, r.abstentions, r.missing_voters) == (
        "approved",
        2,
        0,
        1,
        [],
    )
    assert r.decided_at == RENEWAL_TICK and reached.time == RENEWAL_TICK
    assert reached.causationid == proposal.id  # derived from the proposal, whoever closed it
    state = run.decision("vcm", decision_id)
    assert state.status == "approved"
    from vcm.store.tables import RenewalCase

    with Session(run.by_name["vcm"].engine) as session:
        case = session.get(RenewalCase, (contract, date(2026, 11, 30)))
        assert case is not None and case.decision == "approved"
    [renewal] = await run.get("vcm", "/renewals")
    assert (renewal["consensus"], renewal["consensus_decision_id"]) == ("approved", decision_id)
    # rule 3 on the same case: DSA's analysis of the latest reminder, as DSA published it
    analysis = [e.data for e in run.published("spend.vendor.analyzed.v2") if e.data.contract_id == contract][
        -1
    ]
    shown = renewal["spend_analysis"]
    assert (shown["recommendation"], Decimal(shown["spend_12m"]), shown["currency"]) == (
        analysis.recommendation,
        analysis.spend_12m.amount,
        analysis.spend_12m.currency,
    )


async def test_repricing_waits_for_a_stopped_voter_and_completes_when_it_restarts(run: Run) -> None:
    [proposal] = [e for e in run.published("decision.proposed.v2") if e.data.proposer == "cpi"]
    assert proposal.data.decision_id == REPRICE and proposal.data.rule == "majority"
    assert proposal.data.parameters == {
        "client_id": "C-1",
        "months": "2026-02,2026-03,2026-04",
        "target_margin_pct": "60",
    }
    assert run.open_after_sli_stopped == ["open"]  # SPO and RAM approved; SLI was down: still open
    votes = {
        e.data.voter: e.data for e in run.published("decision.vote.cast") if e.data.decision_id == REPRICE
    }
    assert {v: (d.vote, d.confidence) for v, d in votes.items()} == {
        "spo": ("approve", Decimal(1)),
        "ram": ("approve", Decimal("1.00")),
        "sli": ("reject", Decimal(1)),
    }
    assert votes["spo"].reason == "client C-1: churn risk 35.00 %, no open deal: reprice"
    assert votes["ram"].reason.startswith("client C-1: 120.00 h worked, 0.00 h billed in 3 months")
    assert votes["sli"].reason == (
        "client C-1: 10 seats used but not billed (200.0000 USD a month): bill them before repricing"
    )
    margins = [e for e in run.published("client.profitability.changed") if e.data.client_id == "C-1"]
    newest = sorted(margins, key=lambda e: (e.time, e.id), reverse=True)[:3]
    assert votes["ram"].evidence_event_ids == [e.id for e in newest]
    [risk] = [e for e in run.published("client.churn.risk.changed") if e.data.client_id == "C-1"][-1:]
    assert votes["spo"].evidence_event_ids == [risk.id]
    assert votes["sli"].evidence_event_ids == [fact("licensing.subscription.upserted", "S-M365").id]
    [reached] = [e for e in run.published("decision.reached.v2") if e.data.decision_id == REPRICE]
    r = reached.data
    assert (r.outcome, r.approvals, r.rejections, r.missing_voters) == ("approved", 2, 1, [])
    assert reached.data.decided_at == votes["sli"].cast_at == datetime(2026, 5, 7, tzinfo=UTC)
    [contoso] = await run.get("cpi", "/clients")
    assert (contoso["repricing"], contoso["repricing_decision_id"]) == ("approved", REPRICE)


async def test_shuffled_steps_give_byte_identical_outputs(run: Run, tmp_path: Path) -> None:
    shuffled = await play(tmp_path, shuffle=7)
    try:
        assert shuffled.outputs() == run.before
        assert len([e for e in shuffled.outputs() if '"type":"decision.reached"' in e]) == 2
    finally:
        await shuffled.system.__aexit__(None, None, None)


async def test_a_duplicate_and_a_late_vote_change_nothing(run: Run) -> None:
    [proposal] = [e for e in run.published("decision.proposed.v2") if e.data.proposer == "vcm"]
    decision_id = proposal.data.decision_id
    before = run.outputs()
    state = run.decision("vcm", decision_id)
    [dsa_vote] = [
        e
        for e in run.published("decision.vote.cast")
        if e.data.decision_id == decision_id and e.data.voter == "dsa"
    ]
    late_at = RENEWAL_TICK + timedelta(days=18)
    late = Envelope.build(
        DecisionVoteCast(
            decision_id=decision_id,
            voter="sli",
            vote="reject",
            reason="changed its mind after the decision",
            cast_at=late_at,
            confidence=Decimal(1),
        ),
        source="msp.sli",
        time=late_at,
    )
    same_content_new_id = Envelope.build(dsa_vote.data, source="msp.dsa", time=dsa_vote.time, id="copy-1")
    await run.system.publish([dsa_vote, same_content_new_id, late])
    await run.system.settle()
    assert run.decision("vcm", decision_id).reached == state.reached
    with Session(run.by_name["vcm"].engine) as session:
        recorded = ballots_of(session, decision_id)
    assert [(b.voter, b.vote) for b in recorded if b.cast_at == late_at] == [("sli", "reject")]  # recorded
    assert len(recorded) == 5  # dsa, sli, cpi, the copy under another id, the late one
    new = sorted(set(run.outputs()) - set(before))
    assert all('"decision.reached' not in e for e in new)
    assert len([e for e in run.published("decision.reached.v2") if e.data.decision_id == decision_id]) == 1
