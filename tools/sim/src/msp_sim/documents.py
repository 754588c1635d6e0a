"""Vendor contracts as documents: contract text (and PDF) whose key terms are known.

The simulator plants vendor contracts for VCM, which extracts the key terms (CUAD categories:
parties, agreement/effective/expiration dates, renewal term, notice period to terminate renewal,
governing law, cap on liability, minimum commitment, price restrictions) and computes the last day
to give notice of non-renewal. So the text phrases every term in one of many real-world styles
(numbers in words and digits, dates in several formats, term as a duration or as an end date,
notice in days or months, different numbering, boilerplate noise and distracting "N days' notice"
clauses elsewhere) while :class:`ContractTerms` holds the truth.

Everything is drawn from the ``rng`` passed in: the same terms and the same rng state give the same
text and the same PDF bytes.

Conventions the truth relies on:

* ``expiration_date`` is the effective date plus ``term_months`` calendar months, minus one day
  (a start on the 29th-31st that does not exist in the final month ends on that month's last day).
* ``notice_days`` is rendered in days, or in months only when it is a multiple of 30 (up to 180)
  and then at 30 days a month ("three (3) months" = 90 days); ``notice_deadline`` is always
  ``expiration_date - notice_days`` days.
* A term stated in years is only used when ``term_months`` is a multiple of 12.
"""

from __future__ import annotations

import calendar
import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from fpdf import FPDF

from msp_sim.clauses import (
    AGREEMENT_DATE,
    BOILERPLATE,
    CAP_ON_LIABILITY,
    CUSTOMER_LABELS,
    DATE_STYLES_INTL,
    DATE_STYLES_US,
    EFFECTIVE_DATE,
    EXPIRATION_DATE,
    GOVERNING_LAW,
    MINIMUM_COMMITMENT,
    NOTICE_PERIOD,
    NUM_STYLES,
    PARTIES,
    PRICE_RESTRICTIONS,
    RENEWAL_TERM,
    SIGNERS,
    VENDOR_LABELS,
    ClauseWriter,
    Section,
    count_phrase,
    curly_quotes,
    email_domain,
    format_date,
    number_sections,
    number_words,
    order_details,
    parties_block,
    wants_intl,
)

__all__ = [
    "AGREEMENT_DATE",
    "CAP_ON_LIABILITY",
    "EFFECTIVE_DATE",
    "EXPIRATION_DATE",
    "GOVERNING_LAW",
    "MINIMUM_COMMITMENT",
    "NOTICE_PERIOD",
    "PARTIES",
    "PRICE_RESTRICTIONS",
    "RENEWAL_TERM",
    "ComposedContract",
    "ContractTerms",
    "add_months",
    "compose_contract",
    "format_date",
    "latin1_safe",
    "number_words",
    "render_contract",
    "render_pdf",
]


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, the day clamped to the target month's length."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


@dataclass(frozen=True)
class ContractTerms:
    """The true terms of one vendor contract."""

    vendor_name: str
    vendor_address: str
    customer_name: str
    customer_address: str
    contract_title: str
    agreement_date: date
    effective_date: date
    term_months: int
    auto_renews: bool
    renewal_term_months: int | None
    notice_days: int | None
    annual_value: Decimal
    currency: str
    payment_terms_days: int
    price_increase_cap_pct: Decimal | None
    minimum_commitment: Decimal | None
    governing_law: str
    liability_cap_months: int | None

    def __post_init__(self) -> None:
        if self.term_months < 1:
            raise ValueError("term_months must be at least 1")
        if self.auto_renews and (self.renewal_term_months is None or self.renewal_term_months < 1):
            raise ValueError("an auto-renewing contract needs renewal_term_months >= 1")
        if not self.auto_renews and (self.renewal_term_months is not None or self.notice_days is not None):
            raise ValueError("a non-renewing contract has no renewal_term_months or notice_days")
        if self.notice_days is not None and self.notice_days < 1:
            raise ValueError("notice_days must be at least 1")
        if self.payment_terms_days < 0:
            raise ValueError("payment_terms_days must not be negative")

    @property
    def expiration_date(self) -> date:
        """Last day of the initial term: effective date + term_months - 1 day.

        When the effective day does not exist in the final month (a term starting on the 29th-31st),
        the term ends on that month's last day (Jan 31 + 1 month -> Feb 28, not Feb 27)."""
        eff = self.effective_date
        anniversary = add_months(eff, self.term_months)
        if anniversary.day < eff.day:  # clamped: the next term would start on the 1st of the month after
            return anniversary
        return anniversary - timedelta(days=1)

    @property
    def notice_deadline(self) -> date | None:
        """Last day to give notice of non-renewal; None when the contract does not auto-renew or
        states no notice period."""
        if not self.auto_renews or self.notice_days is None:
            return None
        return self.expiration_date - timedelta(days=self.notice_days)


@dataclass(frozen=True)
class ComposedContract:
    """A rendered contract text with the exact excerpts that state each term.

    ``spans`` maps a CUAD category to a substring of ``text`` (absent when the contract does not
    state it); ``styles`` names the phrasing chosen for each term (for coverage statistics).
    """

    text: str
    spans: dict[str, str]
    styles: dict[str, str]


def compose_contract(terms: ContractTerms, rng: random.Random) -> ComposedContract:
    """The contract text and the excerpts stating each term, all drawn from ``rng``."""
    intl = wants_intl(terms.governing_law)
    b = ClauseWriter(terms=terms, rng=rng, intl=intl)
    b.date_style = rng.choice(DATE_STYLES_INTL if intl else DATE_STYLES_US)
    b.num_style = rng.choice(NUM_STYLES)
    b.vendor = rng.choice(VENDOR_LABELS)
    b.customer = rng.choice(CUSTOMER_LABELS)
    curly = rng.random() < 0.3
    b.styles["date"] = b.date_style
    b.styles["numbers"] = b.num_style
    v, c = b.vendor, b.customer
    is_order_form = "order" in terms.contract_title.lower()

    title = terms.contract_title
    header = [title.upper() if rng.random() < 0.7 else title]
    if rng.random() < 0.5:
        header.append(
            f"Agreement No. {rng.choice(('MSA', 'AGR', 'CTR', 'SO'))}-{rng.randrange(10000, 99999)}"
        )
    header.append("")

    lines = header + parties_block(b, title) + [""]
    if is_order_form:
        lines += [*order_details(b), ""]

    sections: list[Section] = []
    term_definition = (
        '"Term" means the Initial Term together with any Renewal Terms.'
        if terms.auto_renews
        else '"Term" means the Initial Term.'
    )
    definitions = [
        '"Affiliate" means any entity that controls, is controlled '
        "by or is under common control with a party.",
        f'"Documentation" means {v}\'s user guides and specifications for the Services, as updated from time '
        "to time.",
        '"Services" means the software subscriptions and related services described in '
        f"{rng.choice(('Schedule A', 'Exhibit 1', 'the applicable Order Form', 'the Statement of Work'))}.",
    ]
    definitions = rng.sample(definitions, rng.randint(1, len(definitions)))
    sections.append(Section("definitions", "Definitions", sorted([*definitions, term_definition])))
    sections.append(
        Section(
            "services",
            rng.choice(("Services", "Subscription and Services", "Provision of Services")),
            [
                f"{v} shall provide the Services to {c} in accordance with the Documentation and any service "
                "levels set out in the applicable schedule.",
                f"{c} shall not resell, sublicense or reverse engineer "
                "the Services, and is responsible for its "
                "users' compliance with this Agreement.",
            ],
        )
    )
    if is_order_form:
        term_paras = [
            "The Subscription Term, renewal and notice periods are as stated in the Order Details above, "
            "which prevail over any conflicting provision of these terms."
        ]
    else:
        term_paras = [b.term_sentence(), b.renewal_clause()]
    sections.append(
        Section("term", rng.choice(("Term and Renewal", "Term", "Duration", "Term; Renewal")), term_paras)
    )
    sections.append(
        Section("fees", rng.choice(("Fees and Payment", "Fees", "Charges and Payment")), b.fees_paragraphs())
    )
    sections.append(
        Section("price", rng.choice(("Price Changes", "Fee Adjustments", "Pricing")), [b.price_paragraph()])
    )
    cure = rng.choice((15, 30, 45))
    sections.append(
        Section(
            "termination",
            "Termination",
            [
                "Either party may terminate this Agreement if the other "
                "party materially breaches it and fails "
                f"to cure the breach within {count_phrase(cure, 'day', b.num())} "
                "after written notice of the breach.",
                "Either party may terminate this Agreement immediately "
                "if the other becomes insolvent, makes an "
                "assignment for the benefit of creditors or has a receiver appointed.",
                f"On termination or expiry, {c} shall pay all Fees accrued up to the date of termination and "
                f"{v} shall make {c}'s data available for export for thirty (30) days.",
            ],
        )
    )
    sections.append(
        Section("liability", rng.choice(("Limitation of Liability", "Liability")), b.liability_paragraphs())
    )
    law_section = Section(
        "law", rng.choice(("Governing Law", "Governing Law and Jurisdiction", "Law")), [b.governing_law()]
    )
    notices = Section(
        "notices",
        "Notices",
        [
            "All notices under this Agreement shall be in writing and delivered by hand, by courier or by "
            "registered mail to the addresses set out above (or such other address as a party notifies), "
            + rng.choice(
                (
                    "and are effective on receipt.",
                    f"with a copy by e-mail to legal@{email_domain(terms.vendor_name)} for notices to {v}.",
                    "and are deemed received two (2) business days after dispatch.",
                )
            )
        ],
    )
    boiler = [Section(key, head, [text.replace("Customer", c)]) for key, head, text in BOILERPLATE]
    rng.shuffle(boiler)
    chosen = boiler[: rng.randint(3, len(boiler))]
    tail = [law_section, notices, *chosen]
    if rng.random() < 0.5:
        tail = [notices, law_section, *chosen]
    sections += tail
    lines += number_sections(sections, rng)

    lines.append(
        rng.choice(
            (
                "IN WITNESS WHEREOF, the parties have executed this "
                "Agreement as of the date first written above.",
                "Signed by the duly authorised representatives of the parties on the dates below.",
                "AGREED AND ACCEPTED:",
            )
        )
    )
    lines.append("")
    signers = rng.sample(SIGNERS, 2)
    for (name, role), party in zip(signers, (terms.vendor_name, terms.customer_name), strict=True):
        lines += [
            party.upper() if rng.random() < 0.5 else party,
            "By: ______________________",
            f"Name: {name}",
            f"Title: {role}",
            f"Date: {b.d(terms.agreement_date)}",
            "",
        ]
    text = "\n".join(lines).rstrip() + "\n"
    spans = dict(b.spans)
    if curly:
        keep = (terms.vendor_name, terms.customer_name, terms.vendor_address, terms.customer_address)
        text = curly_quotes(text, keep)
        spans = {k: curly_quotes(s, keep) for k, s in spans.items()}
    b.styles["quotes"] = "curly" if curly else "straight"
    return ComposedContract(text=text, spans=spans, styles=dict(b.styles))


# --------------------------------------------------------------------------- PDF

_LATIN1_FIXES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u20ac": "EUR ",
}


def latin1_safe(text: str) -> str:
    """Text encodable in latin-1 (what the core PDF fonts can show): smart quotes straightened,
    accents kept where latin-1 has them, anything else decomposed or replaced by '?'."""
    out: list[str] = []
    for ch in text:
        ch = _LATIN1_FIXES.get(ch, ch)
        try:
            ch.encode("latin-1")
        except UnicodeEncodeError:
            ch = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1") or "?"
        out.append(ch)
    return "".join(out)


class _DeterministicPDF(FPDF):
    """FPDF whose /ID is derived from the content, not from the clock."""

    def __init__(self, file_id_hex: str) -> None:
        super().__init__(orientation="P", unit="mm", format="Letter")
        self._fixed_id = file_id_hex

    def file_id(self) -> str:
        return f"<{self._fixed_id}><{self._fixed_id}>"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 80:
        return False
    letters = [ch for ch in stripped if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and not stripped.endswith((".", ":", ";")):
        return True
    return bool(re.match(r"^(Section \d+\.|Clause \d+:|ARTICLE [IVX]+|\d+\.? [A-Z][A-Za-z ;]+$)", stripped))


def render_pdf(text: str, *, title: str, created: datetime) -> bytes:
    """The text as a Letter-size PDF in Helvetica; the same arguments give the same bytes.

    Headings (short upper-case or numbered lines) are bold, other lines wrap as paragraphs. Text is
    made latin-1 safe (core fonts), so pypdf extracts it as written, with straight quotes.
    """
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    safe_text = latin1_safe(text)
    safe_title = latin1_safe(title)
    digest = hashlib.sha256()
    for part in (safe_title, created.isoformat(), safe_text):
        digest.update(part.encode("latin-1"))
        digest.update(b"\x00")
    pdf = _DeterministicPDF(digest.hexdigest()[:32].upper())
    pdf.set_creation_date(created)
    pdf.set_producer("msp-sim documents")
    pdf.set_creator("msp-sim")
    pdf.set_title(safe_title)
    pdf.set_author("msp-sim")
    pdf.set_compression(True)
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    first = True
    for line in safe_text.split("\n"):
        if not line.strip():
            pdf.ln(3)
            continue
        if first:
            pdf.set_font("Helvetica", style="B", size=14)
            pdf.multi_cell(0, 7, line, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            first = False
            continue
        if _is_heading(line):
            pdf.set_font("Helvetica", style="B", size=10)
            pdf.ln(1)
            pdf.multi_cell(0, 5.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, 5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_contract(terms: ContractTerms, rng: random.Random, *, as_pdf: bool) -> tuple[str, bytes | None]:
    """The contract text, and its PDF when ``as_pdf``; the text does not depend on ``as_pdf`` and
    ``rng`` advances the same way either way."""
    composed = compose_contract(terms, rng)
    # The PDF's creation time: the agreement date during office hours (drawn even without a PDF).
    created = datetime.combine(
        terms.agreement_date, time(rng.randint(8, 17), rng.randrange(60), rng.randrange(60)), tzinfo=UTC
    )
    if not as_pdf:
        return composed.text, None
    return composed.text, render_pdf(composed.text, title=terms.contract_title, created=created)
