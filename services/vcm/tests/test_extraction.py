"""Term extraction on hand-written snippets: every phrasing the extractor supports, with evidence."""

from __future__ import annotations

from datetime import date

import pytest

from vcm.domain.extraction import extract
from vcm.domain.text import Duration, dates, durations, parse_date, sentences


@pytest.mark.parametrize(
    ("phrase", "value", "unit"),
    [
        ("ninety (90) days", 90, "days"),
        ("90 days", 90, "days"),
        ("ninety days", 90, "days"),
        ("three months", 3, "months"),
        ("three (3) months", 3, "months"),
        ("one hundred and twenty (120) days", 120, "days"),
        ("one hundred twenty days", 120, "days"),
        ("sixty calendar days", 60, "days"),
        ("thirty-one days", 31, "days"),
        ("12-month", 12, "months"),
        ("one (1) year", 1, "years"),
        ("two weeks", 2, "weeks"),
        ("ninety (60) days", 60, "days"),  # figures and words disagree: the figure governs
    ],
)
def test_durations_in_figures_and_words(phrase: str, value: int, unit: str) -> None:
    [found] = durations(f"on {phrase} notice")
    assert (found.value, found.unit) == (value, unit)


@pytest.mark.parametrize(
    ("written", "day_first", "expected"),
    [
        ("January 5, 2026", False, date(2026, 1, 5)),
        ("Jan. 5, 2026", False, date(2026, 1, 5)),
        ("5 January 2026", False, date(2026, 1, 5)),
        ("5th January 2026", False, date(2026, 1, 5)),
        ("the 5th day of January, 2026", False, date(2026, 1, 5)),
        ("the fifth day of January, two thousand twenty-six", False, date(2026, 1, 5)),
        ("March thirty-first, 2027", False, date(2027, 3, 31)),
        ("2026-01-05", False, date(2026, 1, 5)),
        ("01/05/2026", False, date(2026, 1, 5)),
        ("01/05/2026", True, date(2026, 5, 1)),
        ("February 29, 2028", False, date(2028, 2, 29)),
    ],
)
def test_dates_as_written(written: str, day_first: bool, expected: date) -> None:
    assert parse_date(written, day_first) == expected


def test_an_impossible_date_is_not_a_date() -> None:
    assert parse_date("February 29, 2027") is None
    assert parse_date("13/13/2026") is None
    assert dates("on 31 February 2026") == []


def test_sentences_keep_offsets_and_join_wrapped_lines() -> None:
    text = (
        'This Agreement is made by Datto, Inc. ("Vendor") and Foo LLC. It renews automatically for\n'
        "successive one (1) year periods unless notice is given.\n"
        "3.1 Fees.\n"
        "Term: 12 months\n"
    )
    found = sentences(text)
    assert [s.text for s in found] == [
        'This Agreement is made by Datto, Inc. ("Vendor") and Foo LLC.',
        "It renews automatically for\nsuccessive one (1) year periods unless notice is given.",
        "3.1 Fees.",
        "Term: 12 months",
    ]
    assert all(text[s.start : s.end] == s.text for s in found)


# --------------------------------------------------------------------------- notice periods


@pytest.mark.parametrize(
    ("clause", "value", "unit"),
    [
        (
            "This Agreement renews automatically for successive one (1) year terms unless either party gives "
            "written notice of non-renewal at least ninety (90) days prior to the end of the "
            "then-current term.",
            90,
            "days",
        ),
        (
            "The Agreement shall automatically renew for successive twelve (12) month periods, "
            "unless terminated "
            "by either party upon not less than 60 days prior written notice before the end of the term.",
            60,
            "days",
        ),
        (
            "This Agreement will renew automatically for further periods of one year each "
            "unless either party "
            "notifies the other in writing no later than three months prior to the expiration of the "
            "then-current term of its intention not to renew.",
            3,
            "months",
        ),
        (
            "Either party may elect not to renew this Agreement by providing written notice at least "
            "thirty (30) calendar days before the end of the then-current Renewal Term.",
            30,
            "days",
        ),
        (
            "Non-Renewal Notice: 45 days prior to the end of the then-current term",
            45,
            "days",
        ),
        (
            "Customer may cancel the renewal by giving notice at least two (2) months in advance of the "
            "expiration of the Initial Term or the then-current Renewal Term.",
            2,
            "months",
        ),
        (
            "Thereafter this Agreement is evergreen and either party may terminate it effective "
            "as of the end of "
            "any Renewal Term by giving one hundred and twenty (120) days' prior written notice.",
            120,
            "days",
        ),
    ],
)
def test_notice_period_phrasings(clause: str, value: int, unit: str) -> None:
    terms = extract(clause)
    assert terms.notice_period is not None
    assert (terms.notice_period.value.value, terms.notice_period.value.unit) == (value, unit)
    evidence = terms.notice_period.evidence
    assert clause[evidence.start : evidence.end] == evidence.text
    assert terms.notice_period.confidence >= 0.6


@pytest.mark.parametrize(
    ("clause", "business"),
    [
        ("Either party may opt out of renewal by giving at least thirty (30) business days' notice.", True),
        ("Either party may opt out of renewal by giving at least 30 working days' notice.", True),
        ("Either party may opt out of renewal by giving at least 30 calendar days' notice.", False),
        ("Either party may opt out of renewal by giving at least 30 days' notice.", False),
    ],
)
def test_business_day_notice_is_kept_as_such(clause: str, business: bool) -> None:
    notice = extract(clause).notice_period
    assert notice is not None and (notice.value.value, notice.value.unit) == (30, "days")
    assert notice.value.business is business
    assert notice.value.to_json() == (
        {"value": 30, "unit": "days", "business": True} if business else {"value": 30, "unit": "days"}
    )


def test_other_notices_are_not_the_notice_to_stop_renewal() -> None:
    text = (
        "Either party may terminate this Agreement if the other fails to cure a material breach within "
        "thirty (30) days after written notice of the breach. Vendor may increase the Fees upon each renewal "
        "by giving sixty (60) days' prior written notice. All notices are deemed received two (2) business "
        "days after dispatch."
    )
    assert extract(text).notice_period is None


# --------------------------------------------------------------------------- renewal and term


@pytest.mark.parametrize(
    ("clause", "auto", "renewal"),
    [
        ("Thereafter, this Agreement shall automatically renew for successive 12-month periods.", True,
         (12, "months")),
        ("This Agreement is an evergreen agreement and will continue for successive renewal "
         "periods of one (1) "
         "year after the Initial Term.", True, (1, "years")),
        ("Upon expiration of the Initial Term, this Agreement shall continue on a "
         "month-to-month basis.", True,
         (1, "months")),
        ("This Agreement shall not renew automatically.", False, None),
        ("There is no automatic renewal of this Agreement.", False, None),
        ("Auto-Renewal: No", False, None),
        ("Neither party is obliged to renew this Agreement, and it will not be renewed or extended "
         "automatically.", False, None),
    ],
)  # fmt: skip
def test_renewal_phrasings(clause: str, auto: bool, renewal: tuple[int, str] | None) -> None:
    terms = extract(clause)
    assert terms.auto_renew is not None and terms.auto_renew.value is auto
    got = (
        None
        if terms.renewal_term is None
        else (terms.renewal_term.value.value, terms.renewal_term.value.unit)
    )
    assert got == renewal


def test_renewal_equal_to_the_initial_term_takes_the_initial_term() -> None:
    terms = extract(
        "The initial term of this Agreement is thirty-six (36) months from the Effective Date. Upon "
        "expiration of the Initial Term, this Agreement will renew for additional terms equal "
        "to the initial term."
    )
    assert (
        terms.renewal_term is not None and terms.renewal_term.value == Duration(36, "months", start=0, end=0)
    ) or (terms.renewal_term is not None and terms.renewal_term.value.value == 36)


def test_nothing_stated_is_null_never_guessed() -> None:
    terms = extract("Each party shall keep the other's Confidential Information confidential.")
    assert all(value is None for value in terms.to_json().values())


# --------------------------------------------------------------------------- dates by role


def test_several_dates_in_one_paragraph_are_chosen_by_role_not_order() -> None:
    text = (
        'This Subscription Agreement, dated March 3, 2025, is between Contoso Ltd ("Customer") and Fabrikam, '
        'Inc. ("Vendor"). The Services will commence on April 1, 2025 (the "Effective Date"). '
        "The initial term "
        "ends on March 31, 2026. Quote No. 12 issued on February 10, 2025 is superseded."
    )
    terms = extract(text)
    assert terms.agreement_date is not None and terms.agreement_date.value == date(2025, 3, 3)
    assert terms.effective_date is not None and terms.effective_date.value == date(2025, 4, 1)
    assert terms.expiration_date is not None and terms.expiration_date.value == date(2026, 3, 31)
    assert terms.parties is not None and terms.parties.value == ("Contoso Ltd", "Fabrikam, Inc.")


def test_expiration_from_a_term_in_years_counts_calendar_months_to_the_month_end() -> None:
    terms = extract(
        'This Agreement is effective as of January 31, 2024 (the "Effective Date"). '
        "The term of this Agreement "
        "is one (1) year from the Effective Date."
    )
    assert terms.expiration_date is not None and terms.expiration_date.value == date(2025, 1, 30)
    leap = extract(
        "This Agreement is effective as of March 31, 2023. The term of this Agreement is eleven (11) months "
        "from the Effective Date."
    )
    assert leap.expiration_date is not None and leap.expiration_date.value == date(2024, 2, 29)


def test_signature_dates_have_no_role() -> None:
    terms = extract("IN WITNESS WHEREOF the parties have signed.\nDate: 2025-02-24\nSigned on 2025-02-26")
    assert terms.agreement_date is None and terms.effective_date is None and terms.expiration_date is None


def test_perpetual_agreement() -> None:
    terms = extract(
        "This Agreement shall continue in full force and effect until terminated by either party."
    )
    assert terms.expiration_date is not None and terms.expiration_date.value == "perpetual"


def test_date_range_on_an_order_form() -> None:
    terms = extract("Subscription term: 2026-02-01 to 2027-01-31.")
    assert terms.effective_date is not None and terms.effective_date.value == date(2026, 2, 1)
    assert terms.expiration_date is not None and terms.expiration_date.value == date(2027, 1, 31)


# --------------------------------------------------------------------------- law, convenience, money


@pytest.mark.parametrize(
    ("clause", "jurisdiction"),
    [
        ("This Agreement shall be governed by the laws of the State of New York, without regard "
         "to its conflict "
         "of laws principles.", "New York"),
        ("This Agreement is governed by the law of England and Wales.", "England and Wales"),
        ("The laws of Ontario govern this Agreement.", "Ontario"),
        ("This Agreement shall be construed under the laws of the Commonwealth of Massachusetts.",
         "Massachusetts"),
        ("Governing Law: Delaware", "Delaware"),
    ],
)  # fmt: skip
def test_governing_law_is_the_jurisdiction_name(clause: str, jurisdiction: str) -> None:
    terms = extract(clause)
    assert terms.governing_law is not None and terms.governing_law.value == jurisdiction


@pytest.mark.parametrize(
    ("clause", "value"),
    [
        (
            "Customer may terminate this Agreement for convenience upon thirty (30) days' written notice.",
            True,
        ),
        ("Either party may terminate this Agreement at any time for any reason or no reason.", True),
        ("Neither party may terminate for convenience during the initial term.", False),
    ],
)
def test_termination_for_convenience(clause: str, value: bool) -> None:
    terms = extract(clause)
    assert terms.termination_for_convenience is not None and terms.termination_for_convenience.value is value


def test_a_heading_alone_is_not_a_right_to_terminate() -> None:
    assert extract("5. Termination for Convenience.").termination_for_convenience is None


@pytest.mark.parametrize(
    ("clause", "amount", "currency", "period"),
    [
        ('Customer shall pay Vendor annual fees of $48,000.00 (the "Fees").', "48000.00", "USD", "year"),
        ("The fees for the Services are GBP 12,500.00 per year.", "12500.00", "GBP", "year"),
        ("Annual Fees: 9,800.00 CAD", "9800.00", "CAD", "year"),
        ("The total contract value is €150,000 payable in three instalments.", "150000.00", "EUR", "total"),
    ],
)
def test_contract_value(clause: str, amount: str, currency: str, period: str) -> None:
    terms = extract(clause)
    assert terms.contract_value is not None
    assert terms.contract_value.value.to_json() == {"amount": amount, "currency": currency, "period": period}


@pytest.mark.parametrize(
    ("clause", "amount", "currency"),
    [
        ("The annual fees are NZ$48,000.", "48000.00", "NZD"),
        ("The annual fees are NZ $48,000.", "48000.00", "NZD"),
        ("Customer shall pay annual fees of A$12,000.", "12000.00", "AUD"),
        ("Customer shall pay annual fees of AU$12,000.", "12000.00", "AUD"),
        ("Customer shall pay annual fees of C$9,500.50.", "9500.50", "CAD"),
        ("Customer shall pay annual fees of CA$9,500.", "9500.00", "CAD"),
        ("Customer shall pay annual fees of US$20,000.", "20000.00", "USD"),
        ("Customer shall pay annual fees of S$15,000.", "15000.00", "SGD"),
        ("Customer shall pay annual fees of HK$80,000.", "80000.00", "HKD"),
        ("Customer shall pay annual fees of ¥1,200,000.", "1200000.00", "JPY"),
        ("The annual fee is £7,250.", "7250.00", "GBP"),
        ("The annual fee is USD 1,000.", "1000.00", "USD"),
        ("The annual fee is 1,000 EUR.", "1000.00", "EUR"),
        ("The annual fee is 1.000,00 €.", "1000.00", "EUR"),
        ("The annual fee is 12 500,50 €.", "12500.50", "EUR"),
        ("The annual fee is EUR 12.500,50.", "12500.50", "EUR"),
        ("The annual fee is $50,000 (NZD).", "50000.00", "NZD"),
        ("The annual fee is $50,000 CAD.", "50000.00", "CAD"),
        ("The annual fee is 50,000 New Zealand dollars.", "50000.00", "NZD"),
        ("The annual fee is 9,000 pounds sterling.", "9000.00", "GBP"),
        ("The annual fee is 12,000 euros.", "12000.00", "EUR"),
        ("The annual fee is US$ 1.2 million.", "1200000.00", "USD"),
    ],
)
def test_contract_value_currency_as_written(clause: str, amount: str, currency: str) -> None:
    value = extract(clause).contract_value
    assert value is not None
    assert (str(value.value.amount), value.value.currency) == (amount, currency)
    assert value.confidence == 0.85  # the currency is stated at the amount: only the period limits it


_FEE = "Customer shall pay annual fees of $30,000. "


@pytest.mark.parametrize(
    ("rest", "currency", "confidence", "reviewed"),
    [
        ("All amounts in this Agreement are in New Zealand dollars.", "NZD", 0.85, False),
        ("Currency: AUD", "AUD", 0.85, False),
        ("This Agreement is governed by the laws of New Zealand.", "NZD", 0.7, True),
        ("This Agreement is governed by the laws of New South Wales.", "AUD", 0.7, True),
        ("This Agreement is governed by the laws of the Province of Ontario.", "CAD", 0.7, True),
        ("This Agreement is governed by the laws of Singapore.", "SGD", 0.7, True),
        ("This Agreement is governed by the laws of the State of New York.", "USD", 0.75, False),
        ("This Agreement is governed by the laws of England and Wales.", "USD", 0.6, True),
        ("", "USD", 0.6, True),
    ],
)
def test_a_bare_dollar_takes_the_documents_evidence(
    rest: str, currency: str, confidence: float, reviewed: bool
) -> None:
    """A bare "$": the document's statement of its currency, else a dollar country's governing law,
    else USD, each with less confidence (below 0.75 the field is reviewed)."""
    terms = extract(_FEE + rest)
    assert terms.contract_value is not None
    assert (terms.contract_value.value.currency, terms.contract_value.confidence) == (currency, confidence)
    assert ("contract_value" in terms.for_review()) is reviewed


def test_a_currency_stated_at_the_amount_beats_the_governing_law() -> None:
    terms = extract("Customer shall pay annual fees of US$30,000. Governed by the laws of New Zealand.")
    assert terms.contract_value is not None and terms.contract_value.value.currency == "USD"


def test_words_and_codes_that_are_not_money() -> None:
    assert extract("Customer shall pay ALL 30 invoices within NET 30 days.").contract_value is None
    assert extract("A $500 set-up fee is payable.").contract_value.value.currency == "USD"  # type: ignore[union-attr]


def test_a_unit_price_is_not_the_contract_value() -> None:
    assert extract("Customer pays USD 4.50 per protected workstation per month.").contract_value is None


def test_payment_terms_and_price_cap() -> None:
    terms = extract(
        "All invoices are payable net thirty (30) days from the date of invoice. Vendor may "
        "adjust the Fees upon "
        "each renewal by an amount not to exceed the lesser of 3% or the change in CPI."
    )
    assert terms.payment_terms is not None and terms.payment_terms.value == 30
    assert terms.price_restrictions is not None
    assert terms.price_restrictions.value.to_json() == {"cap_percent": "3", "cpi": True}


def test_low_confidence_fields_are_marked_for_review() -> None:
    terms = extract("Notice period to terminate renewal is changed from 30 to 90 days.")
    assert terms.notice_period is not None and "notice_period" in terms.for_review()
