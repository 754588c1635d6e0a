"""Key terms of a vendor contract, each with its evidence and a confidence.

A procurement manager acts on the notice deadline, so every term VCM keeps must point at the
sentence that states it (the evidence: the sentence and its character offsets in the document)
and say how sure the reading is; a term the document does not state is ``None``, never a default.
Dates are chosen by their role in the sentence ("effective as of", "ends on", "dated"), not by
their order, because agreements routinely mention several dates in one paragraph; signature-block
dates have no role. Field names follow the public CUAD categories where CUAD has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from vcm.domain.calendar import add_months
from vcm.domain.currency import amounts, document_currency, resolve
from vcm.domain.text import Duration, Sentence, dates, durations, normalize, sentences, words_to_int

T = TypeVar("T")

# Field name -> the CUAD category it answers (None: a term CUAD has no category for).
CATEGORIES: dict[str, str | None] = {
    "parties": "Parties",
    "agreement_date": "Agreement Date",
    "effective_date": "Effective Date",
    "expiration_date": "Expiration Date",
    "initial_term": "Expiration Date",
    "renewal_term": "Renewal Term",
    "auto_renew": "Renewal Term",
    "notice_period": "Notice Period To Terminate Renewal",
    "termination_for_convenience": "Termination For Convenience",
    "governing_law": "Governing Law",
    "contract_value": None,
    "payment_terms": None,
    "price_restrictions": "Price Restrictions",
}
REVIEW_BELOW = 0.75
"""A term read with less confidence than this is marked for review (PATCH /contracts/{id})."""


@dataclass(frozen=True, slots=True)
class Evidence:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Term(Generic[T]):
    value: T
    evidence: Evidence
    confidence: float

    @property
    def needs_review(self) -> bool:
        return self.confidence < REVIEW_BELOW


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str
    period: str | None
    """"year", "month" or "total" (the whole term); None when the document does not say."""

    def to_json(self) -> dict[str, Any]:
        return {"amount": str(self.amount), "currency": self.currency, "period": self.period}


@dataclass(frozen=True, slots=True)
class PriceCap:
    cap_percent: Decimal | None
    cpi: bool

    def to_json(self) -> dict[str, Any]:
        return {"cap_percent": None if self.cap_percent is None else str(self.cap_percent), "cpi": self.cpi}


@dataclass(frozen=True)
class ContractTerms:
    """What one document says; every field is None when the document does not state it."""

    parties: Term[tuple[str, ...]] | None = None
    agreement_date: Term[date] | None = None
    effective_date: Term[date] | None = None
    expiration_date: Term[date | str] | None = None
    """A date, or ``"perpetual"`` for an agreement that runs until terminated."""
    initial_term: Term[Duration] | None = None
    renewal_term: Term[Duration] | None = None
    auto_renew: Term[bool] | None = None
    notice_period: Term[Duration] | None = None
    termination_for_convenience: Term[bool] | None = None
    governing_law: Term[str] | None = None
    contract_value: Term[Money] | None = None
    payment_terms: Term[int] | None = None
    """Days from invoice to payment."""
    price_restrictions: Term[PriceCap] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Term[Any] | None]:
        return {name: getattr(self, name) for name in CATEGORIES}

    def for_review(self) -> list[str]:
        return [name for name, term in self.fields().items() if term is not None and term.needs_review]

    def to_json(self) -> dict[str, Any]:
        return {name: _term_json(name, term) for name, term in self.fields().items()}


def json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return value.to_json()
    if isinstance(value, Money | PriceCap):
        return value.to_json()
    if isinstance(value, tuple):
        return list(value)
    return value


def _term_json(name: str, term: Term[Any] | None) -> dict[str, Any] | None:
    if term is None:
        return None
    return {
        "value": json_value(term.value),
        "category": CATEGORIES[name],
        "evidence": {"text": term.evidence.text, "start": term.evidence.start, "end": term.evidence.end},
        "confidence": round(term.confidence, 2),
    }


def _evidence(s: Sentence) -> Evidence:
    return Evidence(s.text, s.start, s.end)


# --------------------------------------------------------------------------- parties

_SUFFIX = (
    r"(?:Inc|LLC|L\.L\.C|Ltd|Limited|Corp|Corporation|Co|plc|PLC|LP|L\.P|LLP|GmbH|N\.A|S\.A|AG|Pty\.? Ltd)\.?"
)
_NAME = re.compile(
    rf"(?P<name>[A-Z0-9][A-Za-z0-9&'.-]*(?:\s+[A-Za-z0-9&'.-]+){{0,7}}?(?:,?\s+{_SUFFIX})?)"
    r"(?=,\s+(?:a|an|whose|with|located|having|organi[sz]ed|incorporated|registered)\b|\s*,?\s*\(|;|,\s*$)"
)
_BETWEEN = re.compile(r"\bbetween\b:?\s*", re.IGNORECASE)
_NEXT_PARTY = re.compile(r"(?:[,;]\s*and|\band)\s+(?:\(\d\)\s*)?(?=[A-Z])|\(\d\)\s*(?=[A-Z])")
_NOT_NAMES = frozenset({"WHEREAS", "NOW", "The", "This", "Each", "Either", "Vendor", "Customer"})


_PARTY_LINE = re.compile(
    r"\b(?:Vendor|Supplier|Provider|Licensor|Seller|Customer|Client|Licensee|Subscriber|Buyer|Purchaser)"
    r":[ \t]*(?P<name>[A-Z0-9][A-Za-z0-9&'.,-]*(?:[ ][A-Za-z0-9&'.,-]+){0,7})"
)


def _party_lines(text: str, sents: list[Sentence]) -> Term[tuple[str, ...]] | None:
    """An order form's cover block: "Vendor: Contoso Security Inc.   Customer: Example MSP LLC"."""
    found = []
    for m in _PARTY_LINE.finditer(text, 0, 3000):
        name = m.group("name").strip().rstrip(",")
        if name not in found:
            found.append(name)
    if len(found) < 2:
        return None
    at = text.index(found[0])
    s = next(s for s in sents if s.end >= at)
    return Term(tuple(found[:2]), _evidence(s), 0.75)


def parties(text: str, sents: list[Sentence]) -> Term[tuple[str, ...]] | None:
    """The two (or more) contracting parties named in the preamble ("by and between A ... and B")."""
    m = _BETWEEN.search(text, 0, 4000)
    if m is None:
        return _party_lines(text, sents)
    segment_end = min(len(text), m.end() + 1200)
    starts = [m.end() + (len(g.group(0)) if (g := re.match(r"\(\d\)\s*", text[m.end() :])) else 0)]
    starts += [n.end() for n in _NEXT_PARTY.finditer(text, m.end(), segment_end)]
    found: list[tuple[str, int, int]] = []
    for start in starts:
        if re.search(r"(?:in|of)\s+(?:the\s+)?[A-Z][a-z]+\s+and\s+$", text[max(0, start - 40) : start]):
            continue  # "incorporated in England and Wales": a jurisdiction, not a party
        n = _NAME.match(text, start, segment_end)
        if n is None:
            continue
        name = n.group("name").strip().rstrip(",")
        if name.split()[0] in _NOT_NAMES or any(name == f[0] for f in found) or len(name) < 3:
            continue
        found.append((name, n.start(), n.end()))
        if len(found) == 2:
            break
    if len(found) < 2:
        return _party_lines(text, sents)
    first = next(s for s in sents if s.end >= found[0][1])
    last = next(s for s in sents if s.end >= found[-1][2])
    evidence = Evidence(text[first.start : last.end], first.start, last.end)
    return Term(tuple(f[0] for f in found), evidence, 0.85 if first == last else 0.8)


# --------------------------------------------------------------------------- dates by role

_ROLE_CUES = re.compile(
    r"(?P<effective>effective\s+(?:as\s+of|on|from)|takes?\s+effect,?\s+on|commenc\w*\s+(?:on|as\s+of)|"
    r"begins?\s+on|start(?:s|ing)?\s+on|from\s+and\s+including|effective\s+date\s+of\s+this\s+\w+\s+is|"
    r"(?:Start|Commencement|Effective)\s+Date:|in\s+full\s+force\s+and\s+effect\s+from|with\s+effect\s+from|"
    r"(?:Subscription|Initial|Service|Contract)\s+(?:term|period):|\beffective,?)"
    r"|(?P<expiration>ends?\s+on|until|through(?:\s+and\s+including)?|expir\w*\s+(?:on|at\s+midnight\s+on)|"
    r"(?:End|Expiration|Expiry|Termination)\s+Date:|terminat\w*\s+on|up\s+to\s+and\s+including|"
    r"extended\s+(?:to|until|through))"
    r"|(?P<agreement>entered\s+into(?:\s+as\s+of|\s+on|\s+this)?|made(?:\s+and\s+entered\s+into)?"
    r"(?:\s+as\s+of|\s+on|\s+this)?|dated(?:\s+as\s+of)?|Agreement\s+Date:|executed\s+(?:on|as\s+of)|as\s+of)"
    r"|(?P<signature>\bDate:|\bSigned(?:\s+on)?|Signature\s+Date:|Dated:)",
    re.IGNORECASE,
)
_EFFECTIVE_TAG = re.compile(r"^\s*,?\s*\((?:the\s+|this\s+)?\"Effective\s+Date\"\)", re.IGNORECASE)
_AGREEMENT_TAG = re.compile(r"^\s*,?\s*\((?:the\s+|this\s+)?\"Agreement\s+Date\"\)", re.IGNORECASE)


_MAY_HOLD_DATE = re.compile(r"\d{4}|thousand", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Candidate:
    role: str
    value: date
    sentence: Sentence
    confidence: float
    position: int


def dated_roles(text: str, sents: list[Sentence], *, day_first: bool) -> list[_Candidate]:
    """Every date in the document with the role its sentence gives it (nearest cue before it)."""
    out: list[_Candidate] = []
    for s in sents:
        if not _MAY_HOLD_DATE.search(s.text):
            continue
        for mention in dates(s.text, s.start, day_first=day_first):
            before = text[max(s.start, mention.start - 90) : mention.start]
            after = text[mention.end : min(s.end, mention.end + 40)]
            cues = list(_ROLE_CUES.finditer(before))
            role, confidence = None, 0.0
            if cues:
                cue = cues[-1]
                role = cue.lastgroup
                distance = len(before) - cue.end()
                confidence = 0.9 if distance <= 3 else (0.8 if distance <= 25 else 0.6)
            if re.search(r"(?:\bto|-|through|until)\s*$", before) and any(
                0 < mention.start - other.end <= 12 for other in dates(s.text, s.start, day_first=day_first)
            ):
                role, confidence = "expiration", 0.85  # "2026-02-01 to 2027-01-31": a range's end
            if _EFFECTIVE_TAG.match(after):
                out.append(_Candidate("effective", mention.value, s, 0.95, mention.start))
            if _AGREEMENT_TAG.match(after):
                role, confidence = "agreement", 0.95
            if role is not None and role != "signature":
                out.append(_Candidate(role, mention.value, s, confidence, mention.start))
    return out


def _best(candidates: list[_Candidate], role: str) -> Term[date] | None:
    chosen = [c for c in candidates if c.role == role]
    if not chosen:
        return None
    best = max(chosen, key=lambda c: (c.confidence, -c.position))
    others = {c.value for c in chosen if c.confidence >= best.confidence - 0.1}
    confidence = best.confidence if len(others) == 1 else best.confidence - 0.2
    return Term(best.value, _evidence(best.sentence), confidence)


# --------------------------------------------------------------------------- term and renewal

_TERM_SENTENCE = re.compile(
    r"initial\s+(?:term|period)|subscription\s+term|term\s+of\s+this\s+\w+|continue\s+for\s+a\s+period|"
    r"for\s+a\s+(?:fixed\s+)?(?:term|period)\s+of",
    re.IGNORECASE,
)
_PERPETUAL = re.compile(
    r"\bperpetual\b|continue\s+(?:in\s+(?:full\s+force\s+and\s+)?effect\s+)?(?:indefinitely|until\s+terminated)|"
    r"no\s+fixed\s+(?:term|end\s+date)",
    re.IGNORECASE,
)
_NO_RENEWAL = re.compile(
    r"not\s+(?:be\s+)?(?:renew(?:ed)?|extended)(?:\s+or\s+(?:renewed|extended))?\s+automatically|"
    r"no\s+automatic\s+renewal|shall\s+not\s+(?:automatically\s+)?renew|will\s+not\s+(?:automatically\s+)?renew|"
    r"Auto-?Renewal:\s*No\b|Renewal:\s*None|non-renewing|expire\s+at\s+the\s+end\s+of\s+the\s+Initial\s+Term|"
    r"terminate\s+upon\s+(?:the\s+)?expiration\s+of\s+the\s+Initial\s+Term|"
    r"renewal\s+or\s+extension\s+shall\s+require|not\s+obliged\s+to\s+renew",
    re.IGNORECASE,
)
_AUTO_RENEWAL = re.compile(
    r"automatically\s+(?:be\s+)?(?:renew|extend)\w*|renew\w*\s+automatically|\bevergreen\b|month-to-month|"
    r"Auto-?Renewal:\s*(?:Yes|Automatic)|\bAutomatic,?\s+for\s+additional|"
    r"(?:shall|will)\s+(?:be\s+)?(?:renew|extend)\w*\s+for\s+(?:successive|additional|further|consecutive)|"
    r"will\s+renew\s+for\s+additional\s+terms|continue\s+(?:thereafter\s+)?(?:from\s+year\s+to\s+year|"
    r"for\s+successive)|renew\w*\s+on\s+a\s+(?:yearly|monthly|annual)\s+basis|year-to-year",
    re.IGNORECASE,
)
_EQUAL_TO_INITIAL = re.compile(r"equal\s+(?:in\s+length\s+)?to\s+the\s+initial\s+term", re.IGNORECASE)
_MONTH_TO_MONTH = re.compile(r"month-to-month|monthly\s+basis", re.IGNORECASE)
_YEAR_TO_YEAR = re.compile(
    r"year-to-year|from\s+year\s+to\s+year|yearly\s+basis|annual\s+basis", re.IGNORECASE
)


def _months_or_years(ds: list[Duration]) -> list[Duration]:
    return [d for d in ds if d.unit in ("months", "years")]


_RENEWAL_PERIOD = re.compile(
    r"(?:successive|consecutive|additional|further|renewal)\s+(?:\w+\s+)?(?:periods?|terms?)\s+of\s*$|"
    r"(?:successive|consecutive|additional|further)\s*$",
    re.IGNORECASE,
)


def initial_term(sents: list[Sentence]) -> Term[Duration] | None:
    for s in sents:
        if not _TERM_SENTENCE.search(s.text) or "renewal term" in s.text.lower()[:40]:
            continue
        cut = re.search(r"\bnotice\b|\bunless\b|\bnotif", s.text, re.IGNORECASE)
        head = s.text[: cut.start()] if cut else s.text
        found = [
            d
            for d in _months_or_years(durations(head, s.start))
            if not _RENEWAL_PERIOD.search(s.text[: d.start - s.start])
        ]
        if found:
            return Term(found[0], _evidence(s), 0.85)
    return None


def renewal(
    sents: list[Sentence], term: Term[Duration] | None
) -> tuple[Term[bool] | None, Term[Duration] | None]:
    """Whether the agreement renews by itself, and for how long each renewal runs."""
    for s in sents:
        if _NO_RENEWAL.search(s.text):
            return Term(False, _evidence(s), 0.85), None
        if not _AUTO_RENEWAL.search(s.text):
            continue
        auto = Term(True, _evidence(s), 0.9)
        cut = re.search(r"\bnotice\b|\bunless\b", s.text, re.IGNORECASE)
        head = s.text[: cut.start()] if cut else s.text
        found = _months_or_years(durations(head, s.start))
        if found:
            return auto, Term(found[0], _evidence(s), 0.85)
        if _MONTH_TO_MONTH.search(head):
            return auto, Term(Duration(1, "months"), _evidence(s), 0.85)
        if _YEAR_TO_YEAR.search(head):
            return auto, Term(Duration(1, "years"), _evidence(s), 0.85)
        if _EQUAL_TO_INITIAL.search(head) and term is not None:
            return auto, Term(term.value, _evidence(s), 0.75)
        return auto, None
    return None, None


# --------------------------------------------------------------------------- notice

_NOTICE_CONTEXT = re.compile(
    r"non-?renewal|not\s+to\s+renew|prevent\s+renewal|cancel\w*|\brenew|then-current|expiration|end\s+of\s+the\s+term|"
    r"end\s+of\s+the\s+(?:initial|then|current)|Renewal\s+Term|opt\s+out",
    re.IGNORECASE,
)
_NOT_NOTICE_TO_END = re.compile(
    r"\bcure\b|\bbreach\b|increase|revise|adjust|price|force\s+majeure|deemed\s+received|data\s+available",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(
    r"(?:at\s+least|not\s+less\s+than|no\s+later\s+than|no\s+fewer\s+than|minimum\s+of|a\s+minimum\s+of|"
    r"upon|giving|gives|with|by\s+giving|provides|providing)\s*$",
    re.IGNORECASE,
)
_RENEWAL_LENGTH_BEFORE = re.compile(
    r"(?:periods?|terms?|renewals?)\s+of\s*$|(?:successive|consecutive|additional|further)\s*$|for\s+a\s*$",
    re.I,
)
_RENEWAL_LENGTH_AFTER = re.compile(r"^\s*(?:periods?|terms?|renewal|each\b)", re.IGNORECASE)
_FOLLOWER = re.compile(r"^\s*(?:'s|')?\s*(?:\w+\s+){0,2}(?:prior|before|in\s+advance|notice)", re.IGNORECASE)


def notice_period(sents: list[Sentence]) -> Term[Duration] | None:
    """The notice needed to stop the agreement renewing (or to end an evergreen one)."""
    best: tuple[float, int, Term[Duration]] | None = None
    for s in sents:
        if not re.search(r"notice|notif|cancel|opt\s+out|elect\s+not", s.text, re.IGNORECASE):
            continue
        if not _NOTICE_CONTEXT.search(s.text) or _NOT_NOTICE_TO_END.search(s.text):
            continue
        for d in durations(s.text, s.start):
            if d.unit not in ("days", "months", "weeks"):
                continue
            before = s.text[: d.start - s.start]
            after = s.text[d.end - s.start :]
            if _RENEWAL_LENGTH_BEFORE.search(before) or _RENEWAL_LENGTH_AFTER.search(after):
                continue  # "successive twelve (12) month periods": the renewal's length, not notice
            score = 0.6
            if _QUALIFIER.search(before):
                score += 0.15
            if _FOLLOWER.search(after):
                score += 0.15
            if re.search(r"renew|cancel|opt\s+out", s.text, re.IGNORECASE):
                score += 0.05
            if best is None or score > best[0]:
                best = (score, d.start, Term(d, _evidence(s), min(score, 0.95)))
    return None if best is None else best[2]


# --------------------------------------------------------------------------- law, convenience, money

_LAW = re.compile(
    r"(?:laws?|Governing\s+Law:)\s+(?:of\s+)?(?:the\s+)?"
    r"(?:(?:State|Commonwealth|Province|Republic|Territory)\s+of\s+)?"
    r"(?P<j>[A-Z][A-Za-z.]*(?:\s+(?:and|&)\s+[A-Z][A-Za-z]*|\s+[A-Z][A-Za-z.]*)*)",
)
_LAW_SENTENCE = re.compile(r"govern|Governing\s+Law|construed|interpreted", re.IGNORECASE)


def governing_law(sents: list[Sentence]) -> Term[str] | None:
    for s in sents:
        if not _LAW_SENTENCE.search(s.text):
            continue
        m = _LAW.search(s.text)
        if m is None:
            continue
        name = re.sub(r"\s+(?:And|Without|Govern\w*|Shall|Apply|Applies)\b.*$", "", m.group("j")).strip(" .")
        if name.lower() in {"this", "any", "the", "such"} or not name:
            continue
        return Term(name, _evidence(s), 0.9 if "govern" in s.text.lower() else 0.75)
    return None


_CONVENIENCE = re.compile(
    r"for\s+(?:its\s+)?convenience|for\s+any\s+reason\s+or\s+no\s+reason|without\s+cause|"
    r"at\s+any\s+time\s+(?:and\s+)?for\s+any\s+reason",
    re.IGNORECASE,
)
_NO_CONVENIENCE = re.compile(
    r"(?:may\s+not|no\s+right\s+to|shall\s+not|cannot|neither\s+party\s+(?:may|shall|has\s+the\s+right\s+to))"
    r"\s+terminate\b[^.]*(?:convenience|without\s+cause)",
    re.IGNORECASE,
)
_MAY_TERMINATE = re.compile(r"(?:may|right\s+to|entitled\s+to|can)\s+terminate", re.IGNORECASE)


def termination_for_convenience(sents: list[Sentence]) -> Term[bool] | None:
    for s in sents:
        if "terminat" not in s.text.lower():
            continue
        if _NO_CONVENIENCE.search(s.text):
            return Term(False, _evidence(s), 0.85)
        if _CONVENIENCE.search(s.text) and _MAY_TERMINATE.search(s.text):
            return Term(True, _evidence(s), 0.85)
    return None


_VALUE_SENTENCE = re.compile(
    r"fees?\b|contract\s+value|total\s+value|consideration|subscription\s+fee|charges|pay\b", re.IGNORECASE
)
_NOT_VALUE = re.compile(
    r"liabilit|shortfall|minimum|late|interest|penalt|credit|deposit|"
    r"(?:per|/|each|a)\s+(?:protected\s+|named\s+|active\s+)?(?:user|seat|device|endpoint|workstation|server|"
    r"licen[cs]e|unit|channel|mailbox|line|circuit|hour)",
    re.IGNORECASE,
)
_ANNUAL = re.compile(
    r"annual|per\s+(?:year|annum)|each\s+(?:contract\s+)?year|yearly|a\s+year", re.IGNORECASE
)
_MONTHLY = re.compile(r"per\s+month|monthly|each\s+month|a\s+month", re.IGNORECASE)
_TOTAL = re.compile(
    r"total\s+(?:contract\s+)?value|aggregate|total\s+fees|for\s+the\s+(?:entire|initial)\s+term"
)


def contract_value(sents: list[Sentence], *, stated: str | None, law: str | None) -> Term[Money] | None:
    """The first fee sentence's amount; its currency by ``currency.resolve`` (``stated``: the
    document's own statement of its currency, ``law``: the governing law, for a bare "$")."""
    for s in sents:
        if not _VALUE_SENTENCE.search(s.text) or _NOT_VALUE.search(s.text):
            continue
        found = amounts(s.text)
        if not found:
            continue
        amount = found[0]
        currency, currency_confidence = resolve(amount, stated=stated, law=law)
        period = "total" if _TOTAL.search(s.text) else "year" if _ANNUAL.search(s.text) else None
        if period is None and _MONTHLY.search(s.text):
            period = "month"
        confidence = min(currency_confidence, 0.85 if period else 0.6)
        money = Money(amount.amount.quantize(Decimal("0.01")), currency, period)
        return Term(money, _evidence(s), confidence)
    return None


_NET = re.compile(r"\bnet\s+(\d{1,3})\b", re.IGNORECASE)
_WITHIN_INVOICE = re.compile(
    r"(?:within|net)\s+(.{1,30}?days?)\s+(?:of|after|from|following)\b[^.]*invoice", re.I
)


def payment_terms(sents: list[Sentence]) -> Term[int] | None:
    for s in sents:
        if not re.search(r"invoice|payable|payment", s.text, re.IGNORECASE):
            continue
        m = _NET.search(s.text)
        if m is not None:
            return Term(int(m.group(1)), _evidence(s), 0.9)
        w = _WITHIN_INVOICE.search(s.text)
        if w is not None:
            found = [d for d in durations(w.group(1)) if d.unit == "days"]
            if found:
                return Term(found[0].value, _evidence(s), 0.85)
    return None


_PERCENT = re.compile(
    r"(?:\((?P<paren>\d+(?:\.\d+)?)%\))|(?P<num>\d+(?:\.\d+)?)\s*(?:%|percent\b)|"
    rf"(?P<words>{'|'.join(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'])})"
    r"\s+percent\b",
    re.IGNORECASE,
)
_INCREASE = re.compile(r"increase|adjust|escalat|uplift|raise", re.IGNORECASE)
_CPI = re.compile(r"\bCPI\b|consumer\s+price\s+index|retail\s+price\s+index|\bRPI\b", re.IGNORECASE)


def price_restrictions(sents: list[Sentence]) -> Term[PriceCap] | None:
    for s in sents:
        if not _INCREASE.search(s.text) or re.search(r"late\s+payment|interest", s.text, re.IGNORECASE):
            continue
        cpi = bool(_CPI.search(s.text))
        pct: Decimal | None = None
        for m in _PERCENT.finditer(s.text):
            if m.group("paren") or m.group("num"):
                pct = Decimal(m.group("paren") or m.group("num"))
            else:
                value = words_to_int(m.group("words"))
                pct = Decimal(value) if value is not None else None
            break
        if pct is None and not cpi:
            continue
        return Term(PriceCap(pct, cpi), _evidence(s), 0.85)
    return None


# --------------------------------------------------------------------------- the whole document

_DAY_FIRST_LAW = re.compile(
    r"England|Wales|Scotland|Ireland|Australia|New Zealand|Singapore|India|South Africa|Germany|France",
)


def term_end(effective: date, months: int) -> date:
    """Last day of a term of ``months`` starting on ``effective`` (Jan 31 + 1 month ends Feb 28)."""
    anniversary = add_months(effective, months)
    if anniversary.day < effective.day:
        return anniversary
    return anniversary - timedelta(days=1)


def _whole_months(start: date, end: date) -> int | None:
    for months in range(1, 121):
        if term_end(start, months) == end:
            return months
    return None


def extract(raw_text: str) -> ContractTerms:
    """Every term the document states, each with its evidence; offsets index ``raw_text``."""
    text = normalize(raw_text)
    sents = sentences(text)
    law = governing_law(sents)
    day_first = law is not None and bool(_DAY_FIRST_LAW.search(law.value))
    roles = dated_roles(text, sents, day_first=day_first)
    agreement = _best(roles, "agreement")
    effective = _best(roles, "effective")
    stated_end = _best(roles, "expiration")
    if effective is not None and stated_end is not None and stated_end.value <= effective.value:
        stated_end = None  # an end before the start is a misread cue, not an expiration
    term = initial_term(sents)
    if term is None and effective is not None and stated_end is not None:
        months = _whole_months(effective.value, stated_end.value)
        if months is not None:  # "begins on 1 March 2025 and ends on 28 February 2026": twelve months
            term = Term(Duration(months, "months"), stated_end.evidence, stated_end.confidence)
    auto, renewal_term = renewal(sents, term)
    expiration: Term[date | str] | None = None
    if stated_end is not None:
        expiration = Term(stated_end.value, stated_end.evidence, stated_end.confidence)
    elif term is not None and (start := effective or agreement) is not None:
        months = term.value.as_months()
        if months is not None:
            confidence = min(term.confidence, start.confidence) - (0 if effective else 0.2)
            expiration = Term(term_end(start.value, months), term.evidence, confidence)
    if expiration is None:
        for s in sents:
            if _PERPETUAL.search(s.text):
                expiration = Term("perpetual", _evidence(s), 0.8)
                break
    return ContractTerms(
        parties=parties(text, sents),
        agreement_date=agreement,
        effective_date=effective,
        expiration_date=expiration,
        initial_term=term,
        renewal_term=renewal_term,
        auto_renew=auto,
        notice_period=notice_period(sents),
        termination_for_convenience=termination_for_convenience(sents),
        governing_law=law,
        contract_value=contract_value(sents, stated=document_currency(text), law=law.value if law else None),
        payment_terms=payment_terms(sents),
        price_restrictions=price_restrictions(sents),
    )
