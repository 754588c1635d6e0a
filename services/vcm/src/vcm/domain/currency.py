"""Amounts of money as contracts write them, with their ISO 4217 currency (pure).

A wrong currency is worse than none: ``NZ$48,000`` read as ``$`` = USD would put a New Zealand
contract's commitment in the wrong column of every report. So the currency comes from what the
document says, strongest evidence first:

1. the amount itself: a marked symbol (``NZ$``, ``A$``/``AU$``, ``C$``/``CA$``, ``US$``, ``S$``,
   ``HK$``, ``€``, ``£``, ``¥``, ``₹``), an ISO code before or after the figure (``USD 1,000``,
   ``1,000 EUR``, ``$50,000 (NZD)``), or a named currency after it (``50,000 New Zealand
   dollars``, ``12,000 euros``, ``9,000 pounds sterling``);
2. for a bare ``$`` / "dollars": a statement of the document's currency ("All amounts are in
   Australian dollars", "Currency: CAD");
3. else the governing law's country when it is a dollar country (New Zealand, an Australian state,
   a Canadian province, Singapore, Hong Kong, a US state), read with lower confidence;
4. else USD with the lowest confidence (the field goes to review).

Figures: ``1,000.00``, ``1.000,00`` and ``1 000,00`` (a separator followed by one or two final
digits is the decimal mark, groups of three are thousands), optionally followed by "million" or
"thousand".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 active codes (from pycountry's ISO 4217 data), less the codes that are English words an
# all-capitals clause would put before a figure ("ALL 30 days", "TOP 10") and the fund/metal codes.
ISO_4217 = frozenset(
    """AED AFN AMD AOA ARS AUD AWG AZN BBD BDT BHD BIF BMD BND BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY CRC CVE CZK DJF DKK DZD EGP ETB EUR FJD FKP GBP GIP GMD GNF GTQ GYD HKD HNL HTG
    HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LBP LKR LRD LSL
    LYD MDL MGA MKD MMK MNT MRU MVR MWK MXN MYR MZN NGN NIO NOK NPR NZD OMR PAB PGK PHP PKR PLN
    PYG QAR RSD RUB RWF SBD SCR SDG SEK SGD SHP SLE SRD SSP STN SVC SYP SZL THB TJS TND TTD TWD
    TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW""".split()  # noqa: SIM905
)

# Longest first, so "NZ$" is not read as "$" and "CA$" not as "A$".
_SYMBOLS: dict[str, str] = {
    "NZD$": "NZD",
    "NZ$": "NZD",
    "AUD$": "AUD",
    "AU$": "AUD",
    "A$": "AUD",
    "CAN$": "CAD",
    "CAD$": "CAD",
    "CA$": "CAD",
    "C$": "CAD",
    "USD$": "USD",
    "U.S.$": "USD",
    "US$": "USD",
    "SGD$": "SGD",
    "SG$": "SGD",
    "S$": "SGD",
    "HKD$": "HKD",
    "HK$": "HKD",
    "NT$": "TWD",
    "MX$": "MXN",
    "R$": "BRL",
    "CN¥": "CNY",
    "RMB": "CNY",
    "JP¥": "JPY",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
}
DOLLAR = "$"  # a dollar of no stated country

_NAMED: list[tuple[str, str]] = [
    (r"New\s+Zealand\s+dollars?", "NZD"),
    (r"Australian\s+dollars?", "AUD"),
    (r"Canadian\s+dollars?", "CAD"),
    (r"Singapore(?:an)?\s+dollars?", "SGD"),
    (r"Hong\s+Kong\s+dollars?", "HKD"),
    (r"(?:U\.S\.|US|United\s+States|American)\s+dollars?", "USD"),
    (r"euros?", "EUR"),
    (r"(?:pounds?\s+sterling|sterling|(?:British|UK)\s+pounds?)", "GBP"),
    (r"(?:Japanese\s+)?yen", "JPY"),
    (r"Swiss\s+francs?", "CHF"),
    (r"(?:South\s+African\s+)?rand", "ZAR"),
    (r"dollars?", DOLLAR),
]
_NAMED_RE = [(re.compile(rf"(?:{pattern})\b", re.IGNORECASE), code) for pattern, code in _NAMED]

_SYMBOL_ALT = "|".join(
    # "NZ $48,000" too; never "A $500" (the article) or "C $100"
    re.escape(s).replace(r"\$", r"\s?\$") if len(s) > 2 and s.endswith("$") else re.escape(s)
    for s in sorted(_SYMBOLS, key=len, reverse=True)
)
_NUMBER = (
    r"(?P<n>\d{1,3}(?P<sep>[,.\u00a0\u202f ])\d{3}(?:(?P=sep)\d{3})*(?:(?!(?P=sep))[.,]\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?)(?![\d]|[.,]\d)(?:\s?(?P<mult>million|thousand)\b)?"
)
_CODE = r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])"
_PREFIXED = re.compile(rf"(?P<pre>{_SYMBOL_ALT}|\$|{_CODE})\s?{_NUMBER}(?:\s*\(?(?P<after>{_CODE})\)?)?")
_SUFFIXED = re.compile(
    rf"(?<![\d.,]){_NUMBER}\s?(?:(?P<sym>€|£)|(?P<word>{'|'.join(f'(?:{p})' for p, _ in _NAMED)})\b"
    rf"|(?P<code>{_CODE}))",
    re.IGNORECASE,
)

_DOCUMENT_CURRENCY = re.compile(
    r"(?i:(?:amounts?|fees?|prices?|sums?|charges|payments?|figures?)\b[^.;]{0,60}?"
    r"\b(?:in|denominated\s+in|expressed\s+in|payable\s+in|stated\s+in)\s+(?:the\s+)?"
    r"|\bCurrency\s*:\s*)"
    rf"(?P<what>{_CODE}|(?:{'|'.join(p for p, code in _NAMED if code != DOLLAR)}))",
)

_US_STATES = frozenset(
    """Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia
    Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts
    Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon
    Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming""".split()  # noqa: SIM905
) | {
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Rhode Island", "South Carolina", "South Dakota", "West Virginia", "District of Columbia",
    "United States", "United States of America", "USA",
}  # fmt: skip
_DOLLAR_LAWS: list[tuple[frozenset[str], str]] = [
    (frozenset({"New Zealand"}), "NZD"),
    (
        frozenset(
            {"Australia", "New South Wales", "Victoria", "Queensland", "Western Australia",
             "South Australia", "Tasmania", "Australian Capital Territory", "Northern Territory"}
        ),
        "AUD",
    ),
    (
        frozenset(
            {"Canada", "Ontario", "Quebec", "British Columbia", "Alberta", "Manitoba", "Saskatchewan",
             "Nova Scotia", "New Brunswick", "Newfoundland and Labrador", "Prince Edward Island"}
        ),
        "CAD",
    ),
    (frozenset({"Singapore"}), "SGD"),
    (frozenset({"Hong Kong"}), "HKD"),
    (_US_STATES, "USD"),
]  # fmt: skip

# Confidence in the currency alone; the field's confidence is the lower of this and the period's.
STATED = 0.9
DOCUMENT_STATED = 0.85
US_LAW = 0.75  # a bare "$" under a US state's law: the common American drafting
DOLLAR_LAW = 0.7  # a bare "$" under another dollar country's law: likely, to be confirmed
DEFAULT_USD = 0.6  # a bare "$" and nothing else: USD, always reviewed


@dataclass(frozen=True, slots=True)
class Amount:
    """A figure with the currency written at it (``DOLLAR`` when only "$" or "dollars")."""

    amount: Decimal
    currency: str
    start: int
    end: int


def parse_figure(token: str, mult: str | None = None) -> Decimal | None:
    """``1,000.00``, ``1.000,00``, ``1 000`` -> Decimal; a 1-2 digit tail is the decimal part."""
    token = re.sub(r"[\u00a0\u202f ]", " ", token)
    fraction = ""
    tail = re.search(r"[.,](\d{1,2})$", token)
    if tail is not None:
        fraction = tail.group(1)
        token = token[: tail.start()]
    whole = re.sub(r"[ ,.]", "", token)
    try:
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None
    if mult is not None:
        value *= Decimal(1_000_000 if mult.lower() == "million" else 1_000)
    return value


def _named(word: str) -> str:
    for pattern, code in _NAMED_RE:
        if pattern.fullmatch(word):
            return code
    return DOLLAR


def amounts(text: str) -> list[Amount]:
    """Every amount of money in ``text``, in order, each with the currency written at it."""
    found: list[Amount] = []
    for m in _PREFIXED.finditer(text):
        pre, after = re.sub(r"\s", "", m.group("pre")), m.group("after")
        if after is not None and after not in ISO_4217:
            after = None
        if pre == DOLLAR or pre in _SYMBOLS:
            currency = after or _SYMBOLS.get(pre, DOLLAR)
        elif pre in ISO_4217:
            currency = pre
        else:
            continue
        value = parse_figure(m.group("n"), m.group("mult"))
        if value is not None:
            end = m.end() if after is not None else m.end("mult") if m.group("mult") else m.end("n")
            found.append(Amount(value, currency, m.start(), end))
    for m in _SUFFIXED.finditer(text):
        if any(a.start <= m.start() < a.end for a in found):
            continue
        if m.group("sym"):
            currency = _SYMBOLS[m.group("sym")]
        elif m.group("code"):
            if m.group("code") not in ISO_4217:
                continue
            currency = m.group("code")
        else:
            currency = _named(m.group("word"))
        value = parse_figure(m.group("n"), m.group("mult"))
        if value is not None:
            found.append(Amount(value, currency, m.start(), m.end()))
    return sorted(found, key=lambda a: a.start)


def document_currency(text: str) -> str | None:
    """The currency a document says its amounts are in ("All fees are in New Zealand dollars")."""
    m = _DOCUMENT_CURRENCY.search(text)
    if m is None:
        return None
    what = m.group("what")
    if what in ISO_4217:
        return what
    code = _named(what)
    return None if code == DOLLAR else code


def law_currency(law: str | None) -> str | None:
    """The dollar a governing law's country uses, or None when it is not a dollar country."""
    if law is None:
        return None
    for names, code in _DOLLAR_LAWS:
        if law in names:
            return code
    return None


def resolve(amount: Amount, *, stated: str | None, law: str | None) -> tuple[str, float]:
    """The ISO currency of ``amount`` and the confidence in it, by the module's rule."""
    if amount.currency != DOLLAR:
        return amount.currency, STATED
    if stated is not None:
        return stated, DOCUMENT_STATED
    by_law = law_currency(law)
    if by_law is not None:
        return by_law, US_LAW if by_law == "USD" else DOLLAR_LAW
    return "USD", DEFAULT_USD
