"""Clause phrasing for simulated vendor contracts (used by :mod:`msp_sim.documents`).

Each term of a contract can be written in many real-world ways; :class:`ClauseWriter` picks one with
the document's ``rng`` and records the exact excerpt stating the term (CUAD-style span) and the name
of the phrasing chosen.
"""

from __future__ import annotations

import calendar
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from msp_sim.documents import ContractTerms

# CUAD category names used as keys of ComposedContract.spans.
PARTIES = "Parties"
AGREEMENT_DATE = "Agreement Date"
EFFECTIVE_DATE = "Effective Date"
EXPIRATION_DATE = "Expiration Date"
RENEWAL_TERM = "Renewal Term"
NOTICE_PERIOD = "Notice Period To Terminate Renewal"
GOVERNING_LAW = "Governing Law"
CAP_ON_LIABILITY = "Cap On Liability"
MINIMUM_COMMITMENT = "Minimum Commitment"
PRICE_RESTRICTIONS = "Price Restrictions"


# --------------------------------------------------------------------------- numbers and dates

_ONES = [
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
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int, *, british: bool = False) -> str:
    """0..999 in words: 36 -> "thirty-six", 120 -> "one hundred twenty" ("one hundred and twenty")."""
    if not 0 <= n <= 999:
        raise ValueError(f"number_words supports 0..999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{_ONES[hundreds]} hundred"
    if not rest:
        return head
    return f"{head} {'and ' if british else ''}{number_words(rest)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


DATE_STYLES_US = ("long_us", "day_of", "numeric_us", "abbrev_us", "iso", "long_intl")
DATE_STYLES_INTL = ("long_intl", "ordinal_intl", "day_of", "iso", "long_us")


def format_date(d: date, style: str) -> str:
    """One date in one of the styles above ("January 5, 2026", "5 January 2026", "01/05/2026", ...)."""
    month = calendar.month_name[d.month]
    if style == "long_us":
        return f"{month} {d.day}, {d.year}"
    if style == "long_intl":
        return f"{d.day} {month} {d.year}"
    if style == "ordinal_intl":
        return f"{_ordinal(d.day)} {month} {d.year}"
    if style == "day_of":
        return f"the {_ordinal(d.day)} day of {month}, {d.year}"
    if style == "numeric_us":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "abbrev_us":
        abbrev = calendar.month_abbr[d.month]
        return f"{abbrev}{'' if month == abbrev else '.'} {d.day}, {d.year}"
    if style == "iso":
        return d.isoformat()
    raise ValueError(f"unknown date style {style!r}")


NUM_STYLES = ("words_digits", "digits", "words")


def count_phrase(
    n: int, unit: str, num_style: str, *, british: bool = False, calendar_days: bool = False
) -> str:
    """ "ninety (90) days", "90 days", "ninety days", "one (1) year"; unit is singular."""
    plural = unit if n == 1 else unit + "s"
    if calendar_days and unit == "day":
        plural = "calendar " + plural
    if num_style == "digits":
        return f"{n} {plural}"
    words = number_words(n, british=british)
    if num_style == "words":
        return f"{words} {plural}"
    return f"{words} ({n}) {plural}"


def _possessive(phrase: str) -> str:
    """ "ninety (90) days" -> "ninety (90) days'", "one (1) month" -> "one (1) month's"."""
    return phrase + ("'" if phrase.endswith("s") else "'s")


def _adjectival(n: int, unit: str, num_style: str) -> str:
    """ "twelve (12) month", "12-month", "one (1) year" (before a noun: "... periods")."""
    if num_style == "digits":
        return f"{n}-{unit}"
    if num_style == "words":
        return f"{number_words(n)}-{unit}"
    return f"{number_words(n)} ({n}) {unit}"


# --------------------------------------------------------------------------- money and percent

_CURRENCY_SYMBOL = {"USD": "$", "GBP": "\u00a3", "CAD": "CA$", "AUD": "A$"}


def money_phrase(amount: Decimal, currency: str, rng: random.Random) -> str:
    value = f"{amount.quantize(Decimal('0.01')):,.2f}"
    symbol = _CURRENCY_SYMBOL.get(currency)
    forms = [f"{currency} {value}", f"{value} {currency}"]
    if symbol is not None:
        forms += [f"{symbol}{value}", f"{symbol}{value} ({currency})"]
        if value.endswith(".00"):
            forms.append(f"{symbol}{value[:-3]}")
    return rng.choice(forms)


def _percent(pct: Decimal, rng: random.Random) -> str:
    normalized = pct.normalize()
    text = format(normalized, "f")
    if normalized == normalized.to_integral_value() and 0 < normalized < 100 and rng.random() < 0.6:
        return f"{number_words(int(normalized))} percent ({text}%)"
    return rng.choice([f"{text}%", f"{text} percent"])


# --------------------------------------------------------------------------- document builder

VENDOR_LABELS = ("Vendor", "Provider", "Supplier", "Company", "Licensor", "Service Provider")
CUSTOMER_LABELS = ("Customer", "Client", "Subscriber", "Licensee")
_ENTITIES = (
    "a Delaware corporation",
    "a Delaware limited liability company",
    "a corporation organized under the laws of the State of New York",
    "a California corporation",
    "a company incorporated in England and Wales",
    "a Texas limited liability company",
    "a Washington corporation",
)
SIGNERS = (
    ("Jordan Ellis", "Chief Executive Officer"),
    ("Priya Raman", "Chief Financial Officer"),
    ("Michael Okafor", "VP, Sales"),
    ("Sarah Lindqvist", "General Counsel"),
    ("David Chen", "Director of Operations"),
    ("Amelia Hart", "Head of Procurement"),
    ("Tom Becker", "Managing Director"),
    ("Laura Moreno", "Chief Operating Officer"),
)
_INTL_LAW = ("England", "Wales", "Scotland", "Ireland", "Australia", "New Zealand", "Ontario", "Canada")


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str]


@dataclass
class ClauseWriter:
    terms: ContractTerms
    rng: random.Random
    intl: bool = False
    date_style: str = "long_us"
    num_style: str = "words_digits"
    vendor: str = "Vendor"
    customer: str = "Customer"
    spans: dict[str, str] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)

    # small helpers ---------------------------------------------------------------------------
    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def num(self) -> str:
        """The document's number style, now and then a different one (contracts are not tidy)."""
        return self.num_style if self.rng.random() < 0.75 else self.pick(NUM_STYLES)

    def d(self, value: date) -> str:
        return format_date(value, self.date_style)

    def span(self, key: str, text: str) -> str:
        self.spans.setdefault(key, text)
        return text

    def choose(self, key: str, variants: Sequence[tuple[str, Callable[[], str]]]) -> str:
        name, make = variants[self.rng.randrange(len(variants))]
        self.styles[key] = name
        return make()

    # term pieces -----------------------------------------------------------------------------
    def term_duration(self) -> str:
        months = self.terms.term_months
        style = self.num()
        if months % 12 == 0 and self.rng.random() < 0.6:
            return count_phrase(months // 12, "year", style, british=self.intl)
        return count_phrase(months, "month", style, british=self.intl)

    def renewal_noun(self) -> str:
        months = self.terms.renewal_term_months or 12
        style = self.num()
        if months % 12 == 0 and self.rng.random() < 0.6:
            return count_phrase(months // 12, "year", style, british=self.intl)
        return count_phrase(months, "month", style, british=self.intl)

    def renewal_adj(self) -> str:
        months = self.terms.renewal_term_months or 12
        style = self.num()
        if months % 12 == 0 and self.rng.random() < 0.6:
            return _adjectival(months // 12, "year", style)
        return _adjectival(months, "month", style)

    def notice_duration(self) -> str:
        days = self.terms.notice_days
        assert days is not None
        style = self.num()
        if days % 30 == 0 and days <= 180 and self.rng.random() < 0.35:
            self.styles["notice_unit"] = "months"
            return count_phrase(days // 30, "month", style, british=self.intl)
        self.styles["notice_unit"] = "days"
        return count_phrase(days, "day", style, british=self.intl, calendar_days=self.rng.random() < 0.2)

    # clauses ---------------------------------------------------------------------------------
    def term_sentence(self) -> str:
        t, v = self.terms, self.vendor
        eff = "the Effective Date" if self.rng.random() < 0.7 else self.d(t.effective_date)
        variants: list[tuple[str, Callable[[], str]]] = [
            (
                "commence_continue",
                lambda: (
                    f"This Agreement shall commence on {eff} and shall continue for a period of "
                    f'{self.span(EXPIRATION_DATE, self.term_duration())} (the "Initial Term").'
                ),
            ),
            (
                "begins_ends",
                lambda: (
                    f"The initial term of this Agreement begins on {self.d(t.effective_date)} and "
                    f'ends on {self.span(EXPIRATION_DATE, self.d(t.expiration_date))} (the "Initial Term").'
                ),
            ),
            (
                "subscription_term",
                lambda: (
                    f'The subscription term (the "Initial Term") shall be '
                    f"{self.span(EXPIRATION_DATE, self.term_duration())}, commencing on {eff}."
                ),
            ),
            (
                "until_date",
                lambda: (
                    "This Agreement shall remain in full force and effect from "
                    f"{eff} until {self.span(EXPIRATION_DATE, self.d(t.expiration_date))} "
                    '(the "Initial Term"), unless terminated earlier as provided herein.'
                ),
            ),
            (
                "term_is_from",
                lambda: (
                    f"The term of this Agreement is {self.span(EXPIRATION_DATE, self.term_duration())} "
                    f'from the Effective Date (the "Initial Term").'
                ),
            ),
            (
                "initial_period",
                lambda: (
                    f"{v} shall provide the Services for an initial period of "
                    f"{self.span(EXPIRATION_DATE, self.term_duration())} starting on {eff} "
                    '(the "Initial Term").'
                ),
            ),
            (
                "through_date",
                lambda: (
                    "The Initial Term shall run from and including "
                    f"{self.d(t.effective_date)} through and including "
                    f"{self.span(EXPIRATION_DATE, self.d(t.expiration_date))}."
                ),
            ),
        ]
        return self.choose("term", variants)

    def renewal_clause(self) -> str:
        """Renewal and (for auto-renewing contracts) the notice to terminate renewal."""
        t = self.terms
        if not t.auto_renews:
            return self.non_renewal_clause()
        rm = t.renewal_term_months
        assert rm is not None
        variants: list[tuple[str, Callable[[], str]]] = [
            (
                "auto_successive",
                lambda: (
                    "Thereafter, this Agreement "
                    + self.span(
                        RENEWAL_TERM, f"shall automatically renew for successive {self.renewal_adj()} periods"
                    )
                    + ' (each, a "Renewal Term")'
                ),
            ),
            (
                "renew_auto_further",
                lambda: (
                    "At the end of the Initial Term, this Agreement "
                    + self.span(
                        RENEWAL_TERM, f"will renew automatically for further periods of {self.renewal_noun()}"
                    )
                    + ' each (each, a "Renewal Term")'
                ),
            ),
            (
                "extended_consecutive",
                lambda: (
                    "Upon expiration of the Initial Term, the term of this Agreement "
                    + self.span(
                        RENEWAL_TERM,
                        "shall be automatically extended for consecutive "
                        f"renewal terms of {self.renewal_noun()}",
                    )
                    + ' (each, a "Renewal Term")'
                ),
            ),
            (
                "evergreen",
                lambda: (
                    "This Agreement "
                    + self.span(
                        RENEWAL_TERM,
                        "is an evergreen agreement and will continue for successive renewal periods of "
                        f"{self.renewal_noun()}",
                    )
                    + ' after the Initial Term (each, a "Renewal Term")'
                ),
            ),
            (
                "auto_additional",
                lambda: (
                    "Following the Initial Term, the subscription "
                    + self.span(
                        RENEWAL_TERM,
                        f"will automatically renew for additional periods of {self.renewal_noun()}",
                    )
                    + ' (each, a "Renewal Term")'
                ),
            ),
        ]
        if rm == t.term_months:
            variants.append(
                (
                    "equal_to_initial",
                    lambda: (
                        "Upon expiration of the Initial Term, this Agreement "
                        + self.span(RENEWAL_TERM, "will renew for additional terms equal to the initial term")
                        + ' (each, a "Renewal Term")'
                    ),
                )
            )
        if rm == 1:
            variants += [
                (
                    "month_to_month",
                    lambda: (
                        "Upon expiration of the Initial Term, this Agreement "
                        + self.span(RENEWAL_TERM, "shall continue on a month-to-month basis")
                        + ' (each month, a "Renewal Term")'
                    ),
                ),
                (
                    "month_to_month_thereafter",
                    lambda: (
                        "This Agreement "
                        + self.span(RENEWAL_TERM, "will renew automatically month-to-month thereafter")
                        + ' (each month, a "Renewal Term")'
                    ),
                ),
            ]
        base = self.choose("renewal", variants)
        if t.notice_days is None:
            self.styles["notice"] = "none"
            return base + ", unless terminated earlier in accordance with this Agreement."
        return self.with_notice(base)

    def with_notice(self, base: str) -> str:
        c = self.customer
        term_end = self.pick(
            (
                "the end of the then-current term",
                "the expiration of the then-current term",
                "the end of the then-current Term",
            )
        )

        def dur() -> str:
            return self.notice_duration()

        def n(text: str) -> str:
            return self.span(NOTICE_PERIOD, text)

        combined: list[tuple[str, Callable[[], str]]] = [
            (
                "unless_notice_at_least",
                lambda: (
                    base
                    + ", unless either party gives the other written notice of non-renewal "
                    + n(f"at least {dur()} prior to {term_end}")
                    + "."
                ),
            ),
            (
                "unless_no_later_than",
                lambda: (
                    base
                    + ", unless either party notifies the other in writing "
                    + n(f"no later than {dur()} prior to {term_end}")
                    + " of its intention not to renew."
                ),
            ),
            (
                "unless_prior_written_notice",
                lambda: (
                    base
                    + ", unless either party provides "
                    + n(f"{_possessive(dur())} prior written notice of non-renewal before {term_end}")
                    + "."
                ),
            ),
            (
                "unless_terminated_upon",
                lambda: (
                    base
                    + ", unless terminated by either party upon "
                    + n(f"not less than {_possessive(dur())} written notice prior to {term_end}")
                    + "."
                ),
            ),
        ]
        separate: list[tuple[str, Callable[[], str]]] = [
            (
                "elect_not_to_renew",
                lambda: (
                    base + ". Either party may elect not to renew this Agreement by providing written "
                    "notice " + n(f"at least {dur()} before {term_end}") + "."
                ),
            ),
            (
                "must_be_received",
                lambda: (
                    base
                    + ". Notice of non-renewal must be received "
                    + n(f"not less than {dur()} prior to the expiration of the then-current term")
                    + "."
                ),
            ),
            (
                "customer_may_cancel",
                lambda: (
                    base
                    + f". {c} may cancel the renewal by giving notice "
                    + n(
                        f"at least {dur()} in advance of the expiration of "
                        "the Initial Term or the then-current "
                        "Renewal Term"
                    )
                    + "."
                ),
            ),
            (
                "to_prevent_renewal",
                lambda: (
                    base
                    + ". To prevent renewal, a party must deliver written notice "
                    + n(f"no fewer than {dur()} before the last day of the then-current term")
                    + "."
                ),
            ),
            (
                "terminate_effective_end",
                lambda: (
                    base + ". Either party may terminate this Agreement effective as of the end of the "
                    "Initial Term or any Renewal Term by giving the other party "
                    + n(f"{_possessive(dur())} prior written notice")
                    + "."
                ),
            ),
            (
                "cancellation_window",
                lambda: (
                    base
                    + ". Cancellation requests must be submitted in writing "
                    + n(f"no later than {dur()} prior to the last day of the then-current term")
                    + "; requests "
                    "received after that date take effect at the end of the next Renewal Term."
                ),
            ),
        ]
        return self.choose("notice", combined + separate)

    def non_renewal_clause(self) -> str:
        s = self.span
        variants: list[tuple[str, Callable[[], str]]] = [
            ("shall_not_renew", lambda: s(RENEWAL_TERM, "This Agreement shall not renew automatically.")),
            (
                "expire_written_amendment",
                lambda: s(
                    RENEWAL_TERM,
                    "This Agreement shall expire at the end of the Initial Term. Any renewal or extension "
                    "shall require a written amendment executed by both parties.",
                ),
            ),
            (
                "no_automatic_renewal",
                lambda: s(
                    RENEWAL_TERM,
                    "There is no automatic renewal of this Agreement; upon expiration the parties may "
                    "negotiate in good faith a new agreement on mutually agreed terms.",
                ),
            ),
            (
                "terminate_on_expiry",
                lambda: s(
                    RENEWAL_TERM,
                    "This Agreement will terminate upon expiration of the Initial Term unless extended by "
                    "mutual written agreement of the parties.",
                ),
            ),
            (
                "no_obligation",
                lambda: s(
                    RENEWAL_TERM,
                    "Neither party is obliged to renew this Agreement, and it will not be renewed or "
                    "extended automatically.",
                ),
            ),
        ]
        self.styles["notice"] = "none"
        return self.choose("renewal", variants)

    def fees_paragraphs(self) -> list[str]:
        t, c, v = self.terms, self.customer, self.vendor
        money = money_phrase(t.annual_value, t.currency, self.rng)
        pay = self.pick(
            (
                f"net {count_phrase(t.payment_terms_days, 'day', self.num())} from the date of invoice",
                f"within {count_phrase(t.payment_terms_days, 'day', self.num())} "
                "of receipt of a valid invoice",
                f"Net {t.payment_terms_days}",
            )
        )
        out = [
            self.pick(
                (
                    f'{c} shall pay {v} annual fees of {money} (the "Fees"), invoiced annually in advance.',
                    f'The fees for the Services are {money} per year (the "Fees").',
                    f"In consideration of the Services, {c} will pay {v} "
                    f"an annual subscription fee of {money} "
                    '(the "Fees"), invoiced in advance at the start of each contract year.',
                )
            ),
            f"All invoices are payable {pay}. Late payments bear interest at the lesser of "
            f"{self.pick(('1.5%', 'one and one-half percent (1.5%)', '1%'))} per month or the maximum rate "
            "permitted by law.",
            "Fees are exclusive of all taxes, levies and duties, which are payable by "
            f"{c} except for taxes on {v}'s net income.",
        ]
        if t.minimum_commitment is not None:
            mc = money_phrase(t.minimum_commitment, t.currency, self.rng)
            out.append(
                self.choose(
                    "minimum_commitment",
                    [
                        (
                            "minimum_annual_spend",
                            lambda: (
                                f"{c} commits to a "
                                + self.span(MINIMUM_COMMITMENT, f"minimum annual spend of {mc}")
                                + ' (the "Minimum Commitment") in each contract year.'
                            ),
                        ),
                        (
                            "greater_of",
                            lambda: (
                                f"{c} shall be invoiced for "
                                + self.span(
                                    MINIMUM_COMMITMENT,
                                    f"the greater of actual usage or {mc} per contract year",
                                )
                                + "."
                            ),
                        ),
                        (
                            "shortfall",
                            lambda: (
                                f"If {c}'s purchases in any contract year are less than "
                                + self.span(MINIMUM_COMMITMENT, mc)
                                + f", {c} shall pay the shortfall within thirty "
                                "(30) days after the end of that year."
                            ),
                        ),
                    ],
                )
            )
        return out

    def price_paragraph(self) -> str:
        t, v, c = self.terms, self.vendor, self.customer
        if t.price_increase_cap_pct is None:
            if t.auto_renews:
                options = [
                    f"{v} may revise its Fees for any Renewal Term by giving {c} at least "
                    f"{_possessive(count_phrase(self.rng.choice((30, 45, 60)), 'day', self.num()))} "
                    "written notice "
                    "before the start of that Renewal Term.",
                    f"Fees for each Renewal Term will be {v}'s then-current list prices.",
                ]
            else:
                options = [
                    "The Fees are fixed for the Initial Term.",
                    "The Fees shall not change during the Initial Term "
                    f"except as agreed in writing by {v} and {c}.",
                ]
            self.styles["price"] = "uncapped"
            return self.pick(options)
        pct = _percent(t.price_increase_cap_pct, self.rng)
        when = "upon each renewal" if t.auto_renews else "on each anniversary of the Effective Date"
        variants: list[tuple[str, Callable[[], str]]] = [
            (
                "no_more_than",
                lambda: (
                    f"{v} may increase the Fees {when} by "
                    + self.span(PRICE_RESTRICTIONS, f"no more than {pct}")
                    + " over the Fees for the preceding twelve (12) months."
                ),
            ),
            (
                "shall_not_exceed",
                lambda: (
                    "Any increase in the Fees "
                    + self.span(PRICE_RESTRICTIONS, f"shall not exceed {pct} per annum")
                    + "."
                ),
            ),
            (
                "lesser_of_cpi",
                lambda: (
                    f"{v} may adjust the Fees {when} by an amount "
                    + self.span(PRICE_RESTRICTIONS, f"not to exceed the lesser of {pct} or the change in CPI")
                    + " for the prior twelve months."
                ),
            ),
            (
                "capped_at",
                lambda: (
                    f"Price increases are capped at {self.span(PRICE_RESTRICTIONS, pct)} "
                    "per contract year and require sixty (60) days' prior written notice."
                ),
            ),
        ]
        return self.choose("price", variants)

    def liability_paragraphs(self) -> list[str]:
        t, c = self.terms, self.customer
        out = [
            "IN NO EVENT SHALL EITHER PARTY BE LIABLE FOR ANY INDIRECT, INCIDENTAL, SPECIAL, CONSEQUENTIAL "
            "OR PUNITIVE DAMAGES, OR FOR LOSS OF PROFITS, REVENUE OR DATA, HOWEVER CAUSED."
        ]
        if t.liability_cap_months is None:
            self.styles["liability"] = "fees_paid_total"
            out.append(
                "EACH PARTY'S TOTAL AGGREGATE LIABILITY ARISING OUT OF THIS AGREEMENT SHALL NOT EXCEED THE "
                f"TOTAL AMOUNTS PAID BY {c.upper()} UNDER THIS AGREEMENT."
            )
            return out
        months = t.liability_cap_months

        def dur() -> str:
            return count_phrase(months, "month", self.num())

        out.append(
            self.choose(
                "liability",
                [
                    (
                        "preceding_months",
                        lambda: (
                            "In no event shall either party's aggregate liability exceed "
                            + self.span(
                                CAP_ON_LIABILITY,
                                f"the total fees paid or payable by {c} in the "
                                f"{dur()} preceding the event giving "
                                "rise to the claim",
                            )
                            + "."
                        ),
                    ),
                    (
                        "month_period",
                        lambda: (
                            "Each party's total liability under this Agreement is limited to "
                            + self.span(
                                CAP_ON_LIABILITY,
                                f"the amounts paid by {c} during the "
                                f"{_adjectival(months, 'month', self.num())} "
                                "period immediately preceding the claim",
                            )
                            + "."
                        ),
                    ),
                    (
                        "upper_case",
                        lambda: (
                            "EXCEPT FOR BREACH OF CONFIDENTIALITY, EACH PARTY'S LIABILITY SHALL NOT EXCEED "
                            + self.span(
                                CAP_ON_LIABILITY, f"THE FEES PAID IN THE {dur().upper()} PRIOR TO THE CLAIM"
                            )
                            + "."
                        ),
                    ),
                ],
            )
        )
        return out

    def governing_law(self) -> str:
        law = self.terms.governing_law
        the = "the " if law.split(" ", 1)[0] in {"State", "Commonwealth", "Province", "Republic"} else ""
        return self.choose(
            "governing_law",
            [
                (
                    "construed",
                    lambda: (
                        "This Agreement shall be governed by and construed in accordance with "
                        + self.span(GOVERNING_LAW, f"the laws of {the}{law}")
                        + ", without regard to its conflict of laws principles."
                    ),
                ),
                (
                    "govern",
                    lambda: (
                        self.span(GOVERNING_LAW, f"The laws of {the}{law}")
                        + " govern this Agreement and any dispute arising out of or relating to it."
                    ),
                ),
                (
                    "uk_style",
                    lambda: (
                        "This Agreement and any non-contractual obligations arising out of it are governed "
                        "by " + self.span(GOVERNING_LAW, f"the law of {the}{law}") + "."
                    ),
                ),
            ],
        )


def wants_intl(law: str) -> bool:
    return any(word in law for word in _INTL_LAW)


def parties_block(b: ClauseWriter, title: str) -> list[str]:
    t = b.terms
    v_ent, c_ent = b.rng.sample(_ENTITIES, 2)
    agreement = b.span(AGREEMENT_DATE, b.d(t.agreement_date))
    same_day = t.effective_date == t.agreement_date
    if same_day:
        b.spans.setdefault(EFFECTIVE_DATE, agreement)
    style = b.rng.randrange(4)
    b.styles["preamble"] = ("entered_into", "made_between", "dated_between", "this_day")[style]
    eff_tag = ' (the "Effective Date")' if same_day else ""
    if style == 0:
        lines = [
            f'This {title} (the "Agreement") is entered into as of {agreement}{eff_tag} by and between '
            f"{t.vendor_name}, {v_ent} with its principal place of business at {t.vendor_address} "
            f'("{b.vendor}"), and {t.customer_name}, {c_ent} with offices at {t.customer_address} '
            f'("{b.customer}").'
        ]
    elif style == 1:
        lines = [
            f"THIS {title.upper()} is made on {agreement}{eff_tag}",
            "BETWEEN:",
            f'(1) {t.vendor_name}, whose registered office is at {t.vendor_address} (the "{b.vendor}"); and',
            f"(2) {t.customer_name}, whose registered office is at "
            f'{t.customer_address} (the "{b.customer}").',
        ]
    elif style == 2:
        lines = [
            f'This {title} (this "Agreement"), dated {agreement}{eff_tag}, is between {t.customer_name} '
            f'("{b.customer}"), located at {t.customer_address}, and {t.vendor_name} ("{b.vendor}"), '
            f"located at {t.vendor_address}."
        ]
    else:
        lines = [
            f"This {title} is made and entered into {'this' if b.date_style == 'day_of' else 'on'} "
            f"{agreement.removeprefix('the ')}{eff_tag} by and between {t.vendor_name}, {v_ent} "
            f'("{b.vendor}"), and {t.customer_name} ("{b.customer}"), {c_ent}.',
            f"{b.vendor} address: {t.vendor_address}",
            f"{b.customer} address: {t.customer_address}",
        ]
        if agreement.startswith("the "):
            b.spans[AGREEMENT_DATE] = agreement.removeprefix("the ")
            if same_day:
                b.spans[EFFECTIVE_DATE] = b.spans[AGREEMENT_DATE]
    b.span(PARTIES, "\n".join(lines[2:4]) if style == 1 else lines[0])
    if not same_day:
        eff = b.span(EFFECTIVE_DATE, b.d(t.effective_date))
        lines.append(
            b.pick(
                (
                    f'This Agreement shall be effective as of {eff} (the "Effective Date").',
                    "The Services will commence, and this Agreement takes "
                    f'effect, on {eff} (the "Effective Date").',
                    f'The effective date of this Agreement is {eff} (the "Effective Date").',
                )
            )
        )
    lines.append(
        b.pick(
            (
                f"WHEREAS, {b.vendor} provides managed software and "
                f"services; and WHEREAS, {b.customer} wishes "
                f"to obtain such services from {b.vendor} on the terms set out below;",
                "BACKGROUND: The parties wish to set out the terms on which the Services will be provided.",
                f"{b.customer} wishes to subscribe to, and {b.vendor} "
                "agrees to provide, the Services described "
                "in this Agreement.",
            )
        )
    )
    lines.append(
        b.pick(
            (
                "NOW, THEREFORE, in consideration of the mutual covenants "
                "herein, the parties agree as follows:",
                "IT IS AGREED as follows:",
                "The parties agree as follows:",
            )
        )
    )
    return lines


def order_details(b: ClauseWriter) -> list[str]:
    """The key-value cover block of an order form (term, renewal and notice live here)."""
    t = b.terms
    lines = ["ORDER DETAILS"]
    lines.append(f"Subscription Start Date: {b.d(t.effective_date)}")
    b.styles["term"] = b.pick(("kv_duration", "kv_end_date"))
    if b.styles["term"] == "kv_duration":
        lines.append(f"Subscription Term: {b.span(EXPIRATION_DATE, b.term_duration())}")
    else:
        lines.append(f"Subscription End Date: {b.span(EXPIRATION_DATE, b.d(t.expiration_date))}")
    if t.auto_renews:
        b.styles["renewal"] = "kv_auto"
        lines.append(
            "Auto-Renewal: "
            + b.span(
                RENEWAL_TERM,
                b.pick(
                    (
                        f"Yes - renews automatically for successive {b.renewal_adj()} terms",
                        f"Automatic, for additional periods of {b.renewal_noun()}",
                    )
                ),
            )
        )
        if t.notice_days is not None:
            b.styles["notice"] = "kv_notice"
            label = b.pick(("Non-Renewal Notice", "Notice to Cancel Renewal", "Cancellation Notice"))
            lines.append(
                f"{label}: "
                + b.span(NOTICE_PERIOD, f"{b.notice_duration()} prior to the end of the then-current term")
            )
        else:
            b.styles["notice"] = "none"
    else:
        b.styles["renewal"] = "kv_no_renewal"
        b.styles["notice"] = "none"
        lines.append(
            b.span(
                RENEWAL_TERM,
                b.pick(
                    (
                        "Auto-Renewal: No",
                        "Renewal: None (non-renewing); the subscription ends on the Subscription End Date",
                    )
                ),
            )
        )
    lines.append(f"Annual Fees: {money_phrase(t.annual_value, t.currency, b.rng)}")
    lines.append(f"Payment Terms: Net {t.payment_terms_days}")
    return lines


BOILERPLATE: tuple[tuple[str, str, str], ...] = (
    (
        "confidentiality",
        "Confidentiality",
        "Each party shall keep the other's Confidential Information confidential and use it only to "
        "perform this Agreement, for the Term and five (5) years thereafter.",
    ),
    (
        "assignment",
        "Assignment",
        "Neither party may assign this Agreement without the other's prior written consent, not to be "
        "unreasonably withheld, except to a successor to all or substantially all of its business.",
    ),
    (
        "force_majeure",
        "Force Majeure",
        "Neither party is liable for delay caused by events beyond its reasonable control; if such an event "
        "continues for more than sixty (60) days, either party may terminate the affected Services.",
    ),
    (
        "entire",
        "Entire Agreement",
        "This Agreement, including its schedules, is the entire agreement between the parties and "
        "supersedes all prior proposals, quotations and understandings.",
    ),
    (
        "severability",
        "Severability",
        "If any provision is held unenforceable, the remaining provisions remain in full force and effect.",
    ),
    (
        "counterparts",
        "Counterparts",
        "This Agreement may be executed in counterparts, including by electronic signature, each of which "
        "is an original.",
    ),
    (
        "independent",
        "Independent Contractors",
        "The parties are independent contractors; nothing herein creates a partnership, franchise or agency.",
    ),
    (
        "data_protection",
        "Data Protection",
        "Each party shall comply with applicable data protection laws; any personal data processed on "
        "behalf of Customer is processed only on Customer's documented instructions.",
    ),
)

_ROMAN = (
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
)


def number_sections(sections: list[Section], rng: random.Random) -> list[str]:
    style = rng.randrange(6)
    upper = rng.random() < 0.5
    out: list[str] = []
    for i, sec in enumerate(sections, start=1):
        heading = sec.heading.upper() if upper else sec.heading
        if style == 0:
            out.append(f"{i}. {heading}")
        elif style == 1:
            out.append(f"Section {i}. {heading}")
        elif style == 2:
            out.append(f"ARTICLE {_ROMAN[(i - 1) % len(_ROMAN)]} - {heading.upper()}")
        elif style == 3:
            out.append(f"Clause {i}: {heading}")
        elif style == 4:
            out.append(f"{i} {heading}")
        else:
            out.append(heading.upper())
        for j, para in enumerate(sec.paragraphs, start=1):
            if style in (0, 2, 3, 4):
                out.append(f"{i}.{j} {para}")
            elif style == 1:
                out.append(f"({chr(ord('a') + j - 1)}) {para}")
            else:
                out.append(para)
        out.append("")
    return out


def curly_quotes(text: str, keep: Sequence[str] = ()) -> str:
    """Typographic quotes, as a word processor would set them; the strings in ``keep`` (names and
    addresses, which the truth states as given) are left exactly as they are."""
    protected = sorted({k for k in keep if k}, key=lambda k: (-len(k), k))
    if not protected:
        return _curly(text)
    pattern = re.compile("|".join(re.escape(k) for k in protected))
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(_curly(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_curly(text[last:]))
    return "".join(out)


def _curly(text: str) -> str:
    text = re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", text)
    return text.replace("'", "\u2019")


def email_domain(name: str) -> str:
    word = re.sub(r"[^a-z0-9]", "", name.lower().split(" ")[0]) or "vendor"
    return f"{word}.com"
