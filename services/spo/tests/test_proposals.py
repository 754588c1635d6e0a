"""Proposals: hand-worked line and tax arithmetic from the template; a licensed proposal waits for
SLI's answer (or its timeout in event time) and shows it; Markdown and PDF at the edge."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from msp_events import Envelope
from msp_events.narrative import Narrative, NarrativeRequest
from msp_events.testing.service import RunningService
from msp_events.types.agents import LicenseComplianceChecked, LicenseComplianceViolation
from msp_events.types.psa import AgreementUpserted

from spo import proposing, rendering
from spo.domain.proposals import Line, lines_for, totals
from spo.proposing import template

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import start_service, tick, usd

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_lines_follow_the_template_and_totals_add_the_printed_lines() -> None:
    # T&M conversion at 2,700 a month: setup 50 % = 1,350 less its 50 % discount = 675.00
    lines = lines_for(template(), "tm_conversion", "Convert", Decimal("2700"), None)
    assert [(x.recurring, x.quantity, x.unit_price, x.discount_pct, x.total) for x in lines] == [
        (True, Decimal(1), Decimal("2700.00"), Decimal(0), Decimal("2700.00")),
        (False, Decimal(1), Decimal("1350.00"), Decimal(50), Decimal("675.00")),
    ]
    t = totals(lines, Decimal("8.25"))  # 2,700 x 8.25 % = 222.75; 675 x 8.25 % = 55.6875 -> 55.69
    assert (t.recurring_monthly, t.one_time, t.recurring_tax, t.one_time_tax) == (
        Decimal("2700.00"), Decimal("675.00"), Decimal("222.75"), Decimal("55.69"),
    )  # fmt: skip
    assert t.recurring_with_tax == Decimal("2922.75")


def test_a_licence_true_up_is_priced_per_seat() -> None:
    [line] = lines_for(template(), "licence_true_up", "True up 3 seats of SPB", Decimal("66.00"), 3)
    assert (line.quantity, line.unit_price, line.total) == (Decimal(3), Decimal("22.00"), Decimal("66.00"))


def test_a_line_discount_rounds_half_up_to_the_cent() -> None:
    assert Line("x", True, Decimal(3), Decimal("10.05"), Decimal(15)).total == Decimal("25.63")  # 25.6275


def renewal_agreement() -> Envelope[AgreementUpserted]:
    data = AgreementUpserted(
        agreement_id="AGR-1", client_id="C-1", name="Managed Services - Pro",
        agreement_type="managed_services", start_date=date(2024, 1, 1), end_date=date(2026, 12, 15),
        billing_cycle="monthly", bill_amount=usd("2500.00"), updated_at=T0,
    )  # fmt: skip
    return Envelope.build(data, source="psa.connectwise", time=T0)


def unbilled() -> Envelope[LicenseComplianceViolation]:
    data = LicenseComplianceViolation(
        violation_id="V-1", client_id="C-2", kind="unbilled_seats", sku_id="SPB", seats_purchased=10,
        seats_assigned=10, seats_billed=7, seats_affected=3, monthly_exposure=usd("66.00"),
        recommended_action="bill_client", status="open", period_start=date(2026, 8, 1),
        period_end=date(2026, 8, 31), summary="3 seats assigned but not billed",
    )  # fmt: skip
    return Envelope.build(data, source="agent.sli", time=T0)


def checked(suggestion_id: str, at: datetime) -> Envelope[LicenseComplianceChecked]:
    data = LicenseComplianceChecked(
        check_id=f"chk-{suggestion_id}", client_id="C-2", suggestion_id=suggestion_id, sku_id="SPB",
        status="issues", seats_purchased=10, seats_assigned=10, seats_available=0,
        summary="10 bought, 10 assigned, 7 billed: bill the 3 seats before adding more.",
    )  # fmt: skip
    return Envelope.build(data, source="agent.sli", time=at)


class Running(RunningService):
    event_type = "clock.ticked"


@pytest.fixture
async def spo(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start_service(tmp_path / "spo.db", Running, SPO_TAX_PCT="10"):
        yield running


async def suggestions(spo: Running) -> dict[str, dict[str, Any]]:
    async with spo.http() as http:
        return {s["kind"]: s for s in (await http.get("/suggestions")).json()}


async def test_a_proposal_is_drafted_when_a_suggestion_opens_and_read_as_markdown_or_pdf(
    spo: Running,
) -> None:
    await spo.deliver(renewal_agreement(), tick(T0 + timedelta(hours=2)))
    renewal = (await suggestions(spo))["renewal"]
    assert renewal["proposal_id"] is not None
    async with spo.http() as http:
        md = await http.get(f"/proposals/{renewal['proposal_id']}")
        pdf = await http.get(f"/proposals/{renewal['proposal_id']}", headers={"Accept": "application/pdf"})
        missing = await http.get("/proposals/nope")
    assert md.headers["content-type"].startswith("text/markdown")
    assert (
        "| Managed services renewal: Renew agreement AGR-1 | monthly | 1 | 2,500.00 | 0 % | 2,500.00 |"
        in md.text
    )
    assert "2,500.00 USD + tax 10 % (250.00) = **2,750.00 USD a month**" in md.text
    assert "Dear C-1" in md.text and "Licence check" not in md.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Renew agreement AGR-1" in text and "2,500.00" in text
    assert missing.status_code == 404


async def test_a_licensed_proposal_waits_for_sli_and_shows_its_answer(spo: Running) -> None:
    await spo.deliver(unbilled(), tick(T0 + timedelta(hours=2)))
    true_up = (await suggestions(spo))["licence_true_up"]
    assert true_up["proposal_id"] is None  # waiting for SLI
    await spo.deliver(checked(true_up["suggestion_id"], T0 + timedelta(hours=3)))
    true_up = (await suggestions(spo))["licence_true_up"]
    async with spo.http() as http:
        md = (await http.get(f"/proposals/{true_up['proposal_id']}")).text
    assert "| Licence seats: True up 3 seats of SPB | monthly | 3 | 22.00 | 0 % | 66.00 |" in md
    assert "**Licence check (SLI):** issues: 10 bought, 10 assigned, 7 billed" in md


async def test_without_an_answer_the_proposal_goes_out_after_the_wait_saying_so(spo: Running) -> None:
    await spo.deliver(unbilled(), tick(T0 + timedelta(hours=2)), tick(T0 + 2 * DAY))
    assert (await suggestions(spo))["licence_true_up"]["proposal_id"] is None  # still within 2 days
    await spo.deliver(tick(T0 + 3 * DAY))
    pid = (await suggestions(spo))["licence_true_up"]["proposal_id"]
    async with spo.http() as http:
        md = (await http.get(f"/proposals/{pid}")).text
    assert "no_answer: SLI had not answered by 2026-09-03" in md


class Shouting:
    """A stand-in writer: the narrative comes from the writer, the numbers never do."""

    def write(self, request: NarrativeRequest) -> Narrative:
        return Narrative(text=f"PROPOSAL FOR {request.facts['client']}", writer="shouting")


async def test_the_narrative_comes_from_the_writer_and_the_numbers_from_the_event(spo: Running) -> None:
    await spo.deliver(renewal_agreement(), tick(T0 + timedelta(hours=2)))
    from spo import proposing

    pid = (await suggestions(spo))["renewal"]["proposal_id"]
    with spo.session() as session:
        proposal = proposing.load(session, pid)
    assert proposal is not None
    md = rendering.as_markdown(proposal, Shouting())
    assert "PROPOSAL FOR C-1" in md and "2,500.00" in md


async def test_a_bedrock_writer_words_the_proposal_and_made_up_figures_fall_back(
    spo: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from botocore.stub import Stubber

    from msp_events.aws.bedrock import BedrockWriter
    from msp_events.narrative.settings import NarrativeSettings

    from spo import proposing

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    await spo.deliver(renewal_agreement(), tick(T0 + timedelta(hours=2)))
    pid = (await suggestions(spo))["renewal"]["proposal_id"]
    with spo.session() as session:
        proposal = proposing.load(session, pid)
    assert proposal is not None

    def reply(text: str) -> dict[str, Any]:
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        }

    client = boto3.client("bedrock-runtime", region_name="eu-west-1")
    settings = NarrativeSettings(NARRATIVE_WRITER="bedrock", BEDROCK_MODEL_ID="amazon.nova-lite-v1:0")
    writer = BedrockWriter(client, settings, fallback=rendering.default_writer())
    with Stubber(client) as stub:
        stub.add_response("converse", reply("You keep the service your team already relies on."))
        stub.add_response("converse", reply("You save 30 % on last year."))
        worded = rendering.as_markdown(proposal, writer)
        invented = rendering.as_markdown(proposal, writer)
    assert "You keep the service your team already relies on." in worded
    assert "2,500.00 USD + tax 10 % (250.00) = **2,750.00 USD a month**" in worded  # numbers from the event
    assert invented == rendering.as_markdown(proposal, rendering.default_writer())  # 30 is not a fact


async def test_the_pdf_prints_any_script_and_is_the_same_bytes_every_time(spo: Running) -> None:
    await spo.deliver(renewal_agreement(), tick(T0 + timedelta(hours=2)))
    pid = (await suggestions(spo))["renewal"]["proposal_id"]
    async with spo.http() as http:
        pdf_accept = {"Accept": "application/pdf"}
        served = [(await http.get(f"/proposals/{pid}", headers=pdf_accept)).content for _ in (1, 2)]
    assert served[0] == served[1]
    with spo.session() as session:
        found = proposing.load_dated(session, pid)
    assert found is not None
    proposal, generated_at = found
    assert generated_at == T0 + timedelta(hours=2)
    title = "Zürich Łódź Αθήνα Москва \u2013 €"  # Latin, Greek, Cyrillic, an en dash and the euro
    named = proposal.model_copy(update={"title": f"Renewal for {title}"})
    pdf = rendering.as_pdf(named, generated_at)
    reader = PdfReader(io.BytesIO(pdf))
    assert title in reader.pages[0].extract_text()
    assert reader.metadata is not None and reader.metadata.creation_date == generated_at
    assert pdf == rendering.as_pdf(named, generated_at)
