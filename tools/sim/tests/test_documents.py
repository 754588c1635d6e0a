"""Simulated vendor contracts: deterministic, varied in phrasing, and true to their terms.

The normalisers below are written independently of the renderer (own number-word parser, own date
formats), so a renderer that writes "sixty (90) days" or the wrong end date is caught.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import os
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pypdf
import pytest

from msp_sim.documents import (
    EFFECTIVE_DATE,
    EXPIRATION_DATE,
    NOTICE_PERIOD,
    RENEWAL_TERM,
    ContractTerms,
    compose_contract,
    number_words,
    render_contract,
    render_pdf,
)

# --------------------------------------------------------------------------- test-side truth helpers

_SMALL = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if i > 1
}
_NUMW = "|".join(sorted([*_SMALL, *_TENS, "hundred"], key=len, reverse=True))
_DURATION = re.compile(
    rf"\b(?P<words>(?:{_NUMW})(?:(?:\s+and\s+|[\s-]+)(?:{_NUMW}))*)?[\s-]*"
    r"(?:\((?P<paren>\d+)\)|(?P<digits>\d+))?[\s-]*(?:calendar\s+)?(?P<unit>day|month|year)s?\b",
    re.IGNORECASE,
)


def words_to_int(words: str) -> int:
    value = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "and":
            continue
        if word in _SMALL:
            value += _SMALL[word]
        elif word in _TENS:
            value += _TENS[word]
        elif word == "hundred":
            value *= 100
        else:
            raise ValueError(word)
    return value


def durations(text: str) -> list[tuple[int, str]]:
    """Every "N unit" in the text as (N, unit), checking that words and digits agree."""
    found: list[tuple[int, str]] = []
    for m in _DURATION.finditer(text):
        words, paren, digits = m["words"], m["paren"], m["digits"]
        if not (words or paren or digits):
            continue
        numbers = {words_to_int(words)} if words else set()
        numbers |= {int(x) for x in (paren, digits) if x}
        assert len(numbers) == 1, f"words and digits disagree in {m.group(0)!r}"
        found.append((numbers.pop(), m["unit"].lower()))
    return found


def notice_in_days(span: str) -> int:
    """The notice period a notice excerpt states, in days (a month counts 30 days)."""
    found = durations(span)
    assert len(found) == 1, f"expected one duration in {span!r}, got {found}"
    n, unit = found[0]
    assert unit in ("day", "month"), span
    return n if unit == "day" else 30 * n


def months_in(span: str) -> int:
    found = durations(span)
    assert len(found) == 1, f"expected one duration in {span!r}, got {found}"
    n, unit = found[0]
    assert unit in ("month", "year"), span
    return n if unit == "month" else 12 * n


def date_forms(d: date) -> set[str]:
    """Ways a contract may write a date (test-side, independent of the renderer)."""
    month, abbr = calendar.month_name[d.month], calendar.month_abbr[d.month]
    suffix = "th" if 10 <= d.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    return {
        f"{month} {d.day}, {d.year}",
        f"{d.day} {month} {d.year}",
        f"{d.day}{suffix} {month} {d.year}",
        f"{d.day}{suffix} day of {month}, {d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{abbr}. {d.day}, {d.year}",
        f"{abbr} {d.day}, {d.year}",
        d.isoformat(),
    }


def states_date(text: str, d: date) -> bool:
    return any(form in text for form in date_forms(d))


def straighten(text: str) -> str:
    return text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'})


_AFFIRMATIVE_RENEWAL = re.compile(
    r"(?<!not )\b(automatically renew|renews? automatically|automatically extended|evergreen|month-to-month"
    r"|successive|renewal terms?\b|auto-renewal: (?:yes|automatic))",
    re.IGNORECASE,
)

VENDORS = (
    ("Northwind Cloud Services, Inc.", "500 Market Street, Suite 1200, San Francisco, CA 94105"),
    ("O'Reilly Backup & Recovery LLC", "12 Elm Street, Portland, ME 04101"),
    ("Société Générale Logiciels SARL", "12 Rue de la Paix, 75002 Paris, France"),
    ("Fabrikam Security Ltd", "3 Canal Wharf, Leeds LS11 5PS"),
)
CUSTOMERS = (
    ("Contoso Managed IT LLC", "77 Harbor Way, Boston, MA 02110"),
    ("Blue Yonder MSP Ltd", "1 King's Road, London SW3 4RT"),
)
LAWS = ("State of New York", "State of Delaware", "Commonwealth of Massachusetts", "England and Wales")
TITLES = ("Master Services Agreement", "Order Form", "Software Subscription Agreement", "SaaS Agreement")


def base_terms(**changes: object) -> ContractTerms:
    terms = ContractTerms(
        vendor_name="Northwind Cloud Services, Inc.",
        vendor_address="500 Market Street, Suite 1200, San Francisco, CA 94105",
        customer_name="Contoso Managed IT LLC",
        customer_address="77 Harbor Way, Boston, MA 02110",
        contract_title="Master Services Agreement",
        agreement_date=date(2025, 12, 15),
        effective_date=date(2026, 1, 5),
        term_months=12,
        auto_renews=True,
        renewal_term_months=12,
        notice_days=90,
        annual_value=Decimal("120000.00"),
        currency="USD",
        payment_terms_days=30,
        price_increase_cap_pct=Decimal("5"),
        minimum_commitment=Decimal("50000.00"),
        governing_law="State of New York",
        liability_cap_months=12,
    )
    return replace(terms, **changes)


def random_terms(rng: random.Random, *, auto_renews: bool | None = None) -> ContractTerms:
    vendor, vendor_address = rng.choice(VENDORS)
    customer, customer_address = rng.choice(CUSTOMERS)
    agreement = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
    effective = agreement + timedelta(days=rng.choice((0, 0, 1, 14, 31)))
    term = rng.choice((1, 6, 12, 12, 24, 36, 18))
    renews = rng.random() < 0.75 if auto_renews is None else auto_renews
    return ContractTerms(
        vendor_name=vendor,
        vendor_address=vendor_address,
        customer_name=customer,
        customer_address=customer_address,
        contract_title=rng.choice(TITLES),
        agreement_date=agreement,
        effective_date=effective,
        term_months=term,
        auto_renews=renews,
        renewal_term_months=rng.choice((1, 12, 12, term, 24)) if renews else None,
        notice_days=rng.choice((None, 30, 45, 60, 90, 90, 120, 180)) if renews else None,
        annual_value=Decimal(rng.randrange(1_000, 500_000)) + Decimal("0.50") * rng.randrange(2),
        currency=rng.choice(("USD", "USD", "GBP", "EUR")),
        payment_terms_days=rng.choice((15, 30, 45, 60)),
        price_increase_cap_pct=rng.choice((None, Decimal("3"), Decimal("5"), Decimal("7.5"))),
        minimum_commitment=rng.choice((None, Decimal("10000.00"))),
        governing_law=rng.choice(LAWS),
        liability_cap_months=rng.choice((None, 12, 24)),
    )


# --------------------------------------------------------------------------- the truth itself


def test_expiration_and_notice_deadline() -> None:
    terms = base_terms(effective_date=date(2026, 1, 5), term_months=36, notice_days=90)
    assert terms.expiration_date == date(2029, 1, 4)
    assert terms.notice_deadline == date(2028, 10, 6)
    assert base_terms(effective_date=date(2026, 1, 1), term_months=12).expiration_date == date(2026, 12, 31)
    # a start that does not exist in the final month ends on that month's last day
    assert base_terms(effective_date=date(2026, 1, 31), term_months=1).expiration_date == date(2026, 2, 28)
    assert base_terms(effective_date=date(2028, 2, 29), term_months=12).expiration_date == date(2029, 2, 28)
    assert base_terms(notice_days=None).notice_deadline is None
    no_renewal = base_terms(auto_renews=False, renewal_term_months=None, notice_days=None)
    assert no_renewal.notice_deadline is None


@pytest.mark.parametrize(
    "changes",
    [
        {"term_months": 0},
        {"renewal_term_months": None},
        {"auto_renews": False},  # still has renewal_term_months and notice_days
        {"notice_days": 0},
    ],
)
def test_inconsistent_terms_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        base_terms(**changes)


def test_number_words() -> None:
    assert [number_words(n) for n in (1, 12, 30, 36, 90, 100, 120)] == [
        "one",
        "twelve",
        "thirty",
        "thirty-six",
        "ninety",
        "one hundred",
        "one hundred twenty",
    ]
    assert number_words(180, british=True) == "one hundred and eighty"
    assert all(words_to_int(number_words(n)) == n for n in range(1000))


# --------------------------------------------------------------------------- determinism


def test_same_terms_and_rng_state_give_identical_text_and_pdf() -> None:
    terms = base_terms()
    text1, pdf1 = render_contract(terms, random.Random(42), as_pdf=True)
    text2, pdf2 = render_contract(terms, random.Random(42), as_pdf=True)
    assert text1 == text2
    assert pdf1 is not None and pdf2 is not None
    assert pdf1 == pdf2
    assert hashlib.sha256(pdf1).hexdigest() == hashlib.sha256(pdf2).hexdigest()
    assert render_contract(terms, random.Random(43), as_pdf=False)[0] != text1


def test_text_and_rng_use_do_not_depend_on_as_pdf() -> None:
    terms = base_terms()
    rng_pdf, rng_text = random.Random(7), random.Random(7)
    text_pdf, pdf = render_contract(terms, rng_pdf, as_pdf=True)
    text_only, none = render_contract(terms, rng_text, as_pdf=False)
    assert (text_pdf, none) == (text_only, None)
    assert pdf is not None
    assert rng_pdf.random() == rng_text.random()


_HASH_SCRIPT = """
import hashlib, random, sys
from datetime import date
from decimal import Decimal
from msp_sim.documents import ContractTerms, render_contract
terms = ContractTerms("O'Reilly Backup & Recovery LLC", "12 Elm Street, Portland, ME 04101",
    "Blue Yonder MSP Ltd", "1 King's Road, London SW3 4RT", "Order Form", date(2025, 3, 1),
    date(2025, 3, 1), 24, True, 12, 60, Decimal("9999.50"), "GBP", 30, Decimal("3"), None,
    "England and Wales", 12)
for seed in range(5):
    text, pdf = render_contract(terms, random.Random(seed), as_pdf=True)
    print(hashlib.sha256(text.encode()).hexdigest(), hashlib.sha256(pdf).hexdigest())
"""


def test_sha256_is_stable_across_processes_hash_seeds_and_time_zones() -> None:
    outputs = []
    for hash_seed, tz in (("0", "UTC"), ("12345", "Asia/Tokyo"), ("random", "America/Los_Angeles")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TZ": tz}
        run = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0].splitlines()) == 5
    # and the same as in this process
    exec_globals: dict[str, object] = {}
    lines: list[str] = []
    exec_globals["print"] = lambda *args: lines.append(" ".join(str(a) for a in args))
    exec(_HASH_SCRIPT, exec_globals)
    assert "\n".join(lines) + "\n" == outputs[0]


def test_render_pdf_is_deterministic_and_uses_the_given_creation_date() -> None:
    created = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    a = render_pdf("HELLO\nSome text.", title="T", created=created)
    b = render_pdf("HELLO\nSome text.", title="T", created=created)
    assert a == b
    assert render_pdf("HELLO\nOther text.", title="T", created=created) != a
    reader = pypdf.PdfReader(io.BytesIO(a))
    assert reader.metadata is not None
    assert str(reader.metadata["/CreationDate"]).startswith("D:20260105093000")
    # a naive datetime is taken as UTC, not as the machine's local time
    assert render_pdf("HELLO\nSome text.", title="T", created=created.replace(tzinfo=None)) == a


# --------------------------------------------------------------------------- variation


def test_notice_and_renewal_phrasing_vary_across_seeds() -> None:
    terms = base_terms()  # renewal term equal to the 12-month initial term, 90 days' notice
    composed = [compose_contract(terms, random.Random(seed)) for seed in range(50)]
    notice_spans = {straighten(c.spans[NOTICE_PERIOD]) for c in composed}
    renewal_spans = {straighten(c.spans[RENEWAL_TERM]) for c in composed}
    notice_styles = {c.styles["notice"] for c in composed}
    renewal_styles = {c.styles["renewal"] for c in composed}
    assert len(notice_spans) >= 5, notice_spans
    assert len(renewal_spans) >= 5, renewal_spans
    assert len(notice_styles) >= 5, notice_styles
    assert len(renewal_styles) >= 5, renewal_styles
    assert len({c.styles["date"] for c in composed}) >= 4
    assert len({c.styles["term"] for c in composed}) >= 4
    # both units and all number styles turn up for 90 days
    assert {c.styles["notice_unit"] for c in composed} == {"days", "months"}
    joined = "\n".join(notice_spans)
    assert "ninety (90) days" in joined and "90 days" in joined and "three (3) months" in joined


def test_special_renewal_forms_turn_up() -> None:
    monthly = base_terms(renewal_term_months=1)
    spans = {compose_contract(monthly, random.Random(s)).spans[RENEWAL_TERM] for s in range(50)}
    assert any("month-to-month" in s for s in spans)
    equal = {compose_contract(base_terms(), random.Random(s)).spans[RENEWAL_TERM] for s in range(50)}
    assert any("equal to the initial term" in s for s in equal)
    assert any("evergreen" in s for s in equal)
    non_renewing = base_terms(auto_renews=False, renewal_term_months=None, notice_days=None)
    styles = {compose_contract(non_renewing, random.Random(s)).styles["renewal"] for s in range(50)}
    assert len(styles) >= 4


# --------------------------------------------------------------------------- truth is recoverable


@pytest.mark.parametrize("seed", range(150))
def test_rendered_text_states_the_true_terms(seed: int) -> None:
    rng = random.Random(seed)
    terms = random_terms(rng)
    composed = compose_contract(terms, rng)
    text, spans = composed.text, composed.spans
    for key, span in spans.items():
        assert span in text, f"{key} excerpt not in the text: {span!r}"
    assert terms.vendor_name in text and terms.customer_name in text
    assert terms.vendor_address in text and terms.customer_address in text
    assert terms.vendor_name in spans["Parties"] and terms.customer_name in spans["Parties"]
    assert states_date(spans[EFFECTIVE_DATE], terms.effective_date)
    assert states_date(spans["Agreement Date"], terms.agreement_date)
    assert terms.governing_law in spans["Governing Law"]

    expiry = spans[EXPIRATION_DATE]
    assert states_date(expiry, terms.expiration_date) or months_in(expiry) == terms.term_months, expiry

    if terms.auto_renews:
        assert _AFFIRMATIVE_RENEWAL.search(text)
        renewal = straighten(spans[RENEWAL_TERM]).lower()
        if "equal to the initial term" in renewal:
            assert terms.renewal_term_months == terms.term_months
        elif "month-to-month" in renewal:
            assert terms.renewal_term_months == 1
        else:
            assert months_in(renewal) == terms.renewal_term_months, renewal
    else:
        assert not _AFFIRMATIVE_RENEWAL.search(text), _AFFIRMATIVE_RENEWAL.search(text)

    if terms.notice_days is None:
        assert NOTICE_PERIOD not in spans
    else:
        assert notice_in_days(spans[NOTICE_PERIOD]) == terms.notice_days, spans[NOTICE_PERIOD]

    if terms.price_increase_cap_pct is not None:
        pct = f"{terms.price_increase_cap_pct.normalize():f}"
        assert re.search(rf"(?<![\d.]){re.escape(pct)}(%| percent)", spans["Price Restrictions"])
    if terms.minimum_commitment is not None:
        assert f"{terms.minimum_commitment:,.0f}" in spans["Minimum Commitment"]
    if terms.liability_cap_months is not None:
        assert months_in(spans["Cap On Liability"]) == terms.liability_cap_months


def test_non_renewing_contracts_never_say_they_renew_automatically() -> None:
    for seed in range(100):
        rng = random.Random(seed)
        terms = random_terms(rng, auto_renews=False)
        text, _ = render_contract(terms, rng, as_pdf=False)
        hit = _AFFIRMATIVE_RENEWAL.search(text)
        assert hit is None, (seed, hit.group(0) if hit else None)
    # the detector does fire on the negations' affirmative twins
    assert _AFFIRMATIVE_RENEWAL.search("this Agreement shall automatically renew for successive periods")
    assert not _AFFIRMATIVE_RENEWAL.search("This Agreement shall not renew automatically.")


def test_notice_normaliser_catches_mismatches() -> None:
    assert notice_in_days("at least ninety (90) days prior to the end of the then-current term") == 90
    assert notice_in_days("no later than one hundred and twenty days before") == 120
    assert notice_in_days("not less than three (3) months' written notice") == 90
    assert notice_in_days("at least 30 calendar days before the end of the then-current term") == 30
    with pytest.raises(AssertionError):
        notice_in_days("at least sixty (90) days prior to the end of the term")


# --------------------------------------------------------------------------- PDF


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"-\s*\n\s*", "-", re.sub(r"[ \t]+", " ", text)).replace("\n", " ")


@pytest.mark.parametrize("seed", range(12))
def test_pdf_text_is_extractable(seed: int) -> None:
    rng = random.Random(1000 + seed)
    terms = random_terms(rng)
    composed = compose_contract(terms, random.Random(seed))
    text, pdf = render_contract(terms, random.Random(seed), as_pdf=True)
    assert text == composed.text
    assert pdf is not None and pdf.startswith(b"%PDF-")
    assert len(pdf) < 100_000
    extracted = re.sub(r"\s+", " ", _pdf_text(pdf))
    assert terms.vendor_name in extracted
    assert terms.customer_name in extracted
    assert straighten(composed.spans[EFFECTIVE_DATE]) in extracted
    assert states_date(extracted, terms.effective_date)
    if NOTICE_PERIOD in composed.spans:
        assert re.sub(r"\s+", " ", straighten(composed.spans[NOTICE_PERIOD])) in extracted
