"""The deterministic default text writer: what SPO's proposals and every fallback rely on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from msp_events.narrative import NarrativeRequest, TemplateWriter, TextWriter


def test_template_fills_facts_and_names_its_writer() -> None:
    writer = TemplateWriter({"proposal": "$client moves to $plan for $price a month."})
    request = NarrativeRequest(
        kind="proposal", facts={"client": "Acme Dental", "plan": "Managed Pro", "price": "USD 2,400.00"}
    )
    narrative = writer.write(request)
    assert narrative.text == "Acme Dental moves to Managed Pro for USD 2,400.00 a month."
    assert narrative.writer == "template"
    assert not narrative.fell_back
    assert isinstance(writer, TextWriter)


def test_missing_fact_stays_visible_and_unknown_kind_tells_facts_in_order() -> None:
    writer = TemplateWriter({"proposal": "$client saves $saving."})
    assert (
        writer.write(NarrativeRequest(kind="proposal", facts={"client": "Acme"})).text
        == "Acme saves $saving."
    )
    text = writer.write(
        NarrativeRequest(kind="renewal_pack", facts={"vendor": "Pax8", "notice_by": "2027-01-31."})
    ).text
    assert text == "Vendor: Pax8. Notice by: 2027-01-31."


def test_word_limit_cuts_and_marks_the_cut() -> None:
    writer = TemplateWriter({"summary": "$body"})
    body = " ".join(f"w{i}" for i in range(30))
    assert writer.write(NarrativeRequest(kind="summary", facts={"body": body}, max_words=10)).text == (
        "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 …"
    )


@pytest.mark.parametrize(
    ("kind", "facts", "message"),
    [("Proposal!", {}, "kind"), ("proposal", {"not a name": "x"}, "identifier")],
)
def test_bad_requests_say_what_is_wrong(kind: str, facts: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NarrativeRequest(kind=kind, facts=facts)
