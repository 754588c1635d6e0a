"""A generated proposal for people: the narrative from a text writer, then Markdown or PDF.

Rendered at the edge, on request, never put into events: the numbers come from the
``sales.proposal.generated`` payload; only the prose comes from the writer (SPO's template
writer by default, a language-model writer later behind the same protocol).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources

from fpdf import FPDF

from msp_events.narrative import NarrativeRequest, TemplateWriter, TextWriter
from msp_events.types.agents import SalesProposalGenerated

from spo.domain.proposals import Line, Totals, markdown

NARRATIVE_KIND = "proposal"


@cache
def default_writer() -> TemplateWriter:
    """SPO's template writer: ``templates/proposal_narrative.txt`` for the ``proposal`` kind."""
    text = resources.files("spo").joinpath("templates/proposal_narrative.txt").read_text(encoding="utf-8")
    return TemplateWriter({NARRATIVE_KIND: text.strip()})


def narrative_request(p: SalesProposalGenerated) -> NarrativeRequest:
    cur = p.recurring_monthly_total.currency
    one_time = p.one_time_total.amount
    licence = "" if p.licence_check_summary is None else f"Licences: {p.licence_check_summary}"
    return NarrativeRequest(
        kind=NARRATIVE_KIND,
        facts={
            "client": p.client_id,
            "title": p.title,
            "why": p.summary,
            "recurring": f"{p.recurring_monthly_total.amount:,.2f} {cur}",
            "one_time_clause": "" if one_time == 0 else f" and {one_time:,.2f} {cur} once",
            "licence_clause": licence,
            "act_by": "" if p.act_by is None else p.act_by.isoformat(),
        },
    )


def as_markdown(p: SalesProposalGenerated, writer: TextWriter | None = None) -> str:
    narrative = (writer or default_writer()).write(narrative_request(p))
    lines = [
        Line(x.description, x.billing == "recurring_monthly", x.quantity, x.unit_price.amount, x.discount_pct)
        for x in p.lines
    ]
    t = Totals(
        p.recurring_monthly_total.amount,
        p.one_time_total.amount,
        p.recurring_monthly_tax.amount,
        p.one_time_tax.amount,
    )
    check = None if p.licence_check == "not_needed" else f"{p.licence_check}: {p.licence_check_summary}"
    return markdown(
        p.title, p.client_id, p.recurring_monthly_total.currency, lines, t, p.tax_pct, narrative.text, check
    )


def _latin1(text: str) -> str:
    """The PDF core fonts speak Latin-1: anything else is shown as '?' rather than failing."""
    return text.replace("**", "").encode("latin-1", "replace").decode("latin-1")


def as_pdf(p: SalesProposalGenerated, writer: TextWriter | None = None) -> bytes:
    """The Markdown's content laid out as a one-table PDF (fpdf2)."""
    narrative = (writer or default_writer()).write(narrative_request(p)).text
    cur = p.recurring_monthly_total.currency
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(p.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin1(f"Client: {p.client_id}    Currency: {cur}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, _latin1(narrative), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (70, 24, 14, 28, 20, 30)
    pdf.set_font("Helvetica", "B", 9)
    for w, head in zip(widths, ("Item", "Billing", "Qty", "Unit price", "Discount", "Total"), strict=True):
        pdf.cell(w, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for x in p.lines:
        cells = (
            x.description[:45],
            "monthly" if x.billing == "recurring_monthly" else "one-time",
            f"{x.quantity.normalize():f}",
            f"{x.unit_price.amount:,.2f}",
            f"{x.discount_pct.normalize():f} %",
            f"{x.total.amount:,.2f}",
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 7, _latin1(text), border=1)
        pdf.ln()
    pdf.ln(3)
    for text in (
        f"Monthly recurring: {_m(p.recurring_monthly_total.amount)} "
        f"+ tax {_m(p.recurring_monthly_tax.amount)} {cur}",
        f"One-time: {_m(p.one_time_total.amount)} + tax {_m(p.one_time_tax.amount)} {cur}",
        *([] if p.licence_check == "not_needed" else [f"Licence check (SLI): {p.licence_check_summary}"]),
    ):
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _m(v: Decimal) -> str:
    return f"{v:,.2f}"
