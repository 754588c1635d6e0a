"""A generated proposal for people: the narrative from a text writer, then Markdown or PDF.

Rendered at the edge, on request, never put into events: the numbers come from the
``sales.proposal.generated`` payload; only the prose comes from the writer (SPO's template
writer by default, a language-model writer later behind the same protocol).
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from fpdf import FPDF

from msp_events.narrative import NarrativeRequest, TemplateWriter, TextWriter
from msp_events.types.agents import SalesProposalGenerated

from spo.domain.proposals import Line, Totals, markdown

NARRATIVE_KIND = "proposal"
FONT = "DejaVuSans"


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


def _plain(text: str) -> str:
    return text.replace("**", "")


@cache
def font_dir() -> Path:
    """DejaVu Sans as matplotlib ships it (a locked PyPI dependency, so every install has the same
    font file): a Unicode TrueType font, so client names and narratives in any Latin, Greek or
    Cyrillic script print as written, where the PDF core fonts speak only Latin-1. Found without
    importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (the DejaVu Sans font) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def as_pdf(p: SalesProposalGenerated, created: datetime, writer: TextWriter | None = None) -> bytes:
    """The Markdown's content laid out as a one-table PDF (fpdf2), byte for byte the same for the
    same proposal: ``created`` (when SPO generated it) is its creation date, and the file id
    fpdf2 derives from the content and that date."""
    narrative = (writer or default_writer()).write(narrative_request(p)).text
    cur = p.recurring_monthly_total.currency
    pdf = FPDF()
    pdf.set_creation_date(created)
    pdf.set_producer("msp-spo")
    fonts = font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, _plain(p.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, _plain(f"Client: {p.client_id}    Currency: {cur}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, _plain(narrative), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (70, 24, 14, 28, 20, 30)
    pdf.set_font(FONT, "B", 9)
    for w, head in zip(widths, ("Item", "Billing", "Qty", "Unit price", "Discount", "Total"), strict=True):
        pdf.cell(w, 7, head, border=1)
    pdf.ln()
    pdf.set_font(FONT, "", 9)
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
            pdf.cell(w, 7, _plain(text), border=1)
        pdf.ln()
    pdf.ln(3)
    for text in (
        f"Monthly recurring: {_m(p.recurring_monthly_total.amount)} "
        f"+ tax {_m(p.recurring_monthly_tax.amount)} {cur}",
        f"One-time: {_m(p.one_time_total.amount)} + tax {_m(p.one_time_tax.amount)} {cur}",
        *([] if p.licence_check == "not_needed" else [f"Licence check (SLI): {p.licence_check_summary}"]),
    ):
        pdf.multi_cell(0, 6, _plain(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _m(v: Decimal) -> str:
    return f"{v:,.2f}"
