"""Reading legal prose: sentences with their offsets, durations and dates as written in contracts.

Contracts state the same thing many ways ("ninety (90) days", "three months", "the 5th day of
January, 2026", "01/05/2026"); each reader here returns the value together with where it was
found, so every extracted term can point at its evidence. Numbers written in words go through
word2number; a date is read from its own parts and must be a real calendar date (dateparser was
tried and dropped: 29 ms a date against microseconds, for the same answers on these forms).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from word2number import w2n

_ABBREVIATIONS = frozenset(
    {"inc", "ltd", "corp", "co", "no", "st", "blvd", "dr", "ave", "u.s", "mr", "ms", "sec", "art", "jan",
     "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "l.p", "n.a", "e.g",
     "i.e", "vs", "pty", "s.a", "n.v", "b.v"}
)  # fmt: skip
_BREAK = re.compile(r"(?P<punct>[.;!?][\"')\]]*)(?P<space>\s+)|(?P<newline>[ \t]*\n\s*)")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or a line of a key-value block) and where it sits in the document."""

    text: str
    start: int
    end: int


def normalize(text: str) -> str:
    """Typographic quotes and dashes straightened one character for one, so offsets stay valid."""
    return text.translate(_STRAIGHT)


_STRAIGHT = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014\u00a0", "''\"\"-- ")


_LIST_ITEM = re.compile(
    r"\s*(?:\(?[0-9]{1,3}(?:\.[0-9]{1,3})*[.)]?\s|\([a-z]{1,3}\)\s|[a-z][.)]\s|[-*\u2022]\s|"
    r"(?:Section|Clause|ARTICLE|Article|Schedule|Exhibit)\b|[A-Z][A-Za-z /&-]{1,40}:)"
)
_WRAPPED_LINE = 50
"""A line at least this long that does not end a sentence was wrapped: the next line continues it."""


def sentences(text: str) -> list[Sentence]:
    """Split at sentence ends and line breaks, not after abbreviations such as "Inc." or "No.", nor
    inside a hard-wrapped line (PDF text, e-mails): a line break ends a sentence after punctuation,
    at a blank line, after a short line (a heading, a "Term: 12 months" line) or before a list item."""
    out: list[Sentence] = []
    start = 0
    for m in _BREAK.finditer(text):
        punct, space = m.group("punct"), m.group("space") or m.group("newline")
        if punct:
            word = re.search(r"([A-Za-z0-9.]+)$", text[start : m.start()])
            marker = re.fullmatch(r"\s*(?:\d{1,3}|[IVX]{1,4}|[a-z])", text[start : m.start()])
            if marker or (word and word.group(1).lower().strip(".") in _ABBREVIATIONS):
                continue
            if (
                "\n" not in space
                and m.end() < len(text)
                and (text[m.end()].islower() or text[m.end()] in "(,")
            ):
                continue
        elif space.count("\n") < 2:
            line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()].strip()
            wrapped = (
                len(line) >= _WRAPPED_LINE
                and line.upper() != line
                and line[-1:] not in ":"
                and not re.search(r"\S {3,}\S|^[A-Z][\w /&-]{1,40}:", line)  # a key-value or table line
            )
            if wrapped and not _LIST_ITEM.match(text, m.end()):
                continue
        end = m.start() + len(punct or "")
        _append(out, text, start, end)
        start = m.end()
    _append(out, text, start, len(text))
    return out


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end))


# --------------------------------------------------------------------------- numbers and durations

_SMALL = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
NUMBER_WORDS = rf"(?:(?:{_SMALL})(?:[\s-]+(?:and[\s-]+)?(?:{_SMALL}))*)"
UNITS = {"day": "days", "month": "months", "year": "years", "week": "weeks"}

DURATION = re.compile(
    rf"(?:(?P<words>{NUMBER_WORDS})\s*\((?P<paren>\d{{1,4}})\)|(?P<digits>\d{{1,4}})|(?P<alone>{NUMBER_WORDS}))"
    r"[\s-]+(?:(?P<kind>calendar|business|working)\s+)?(?P<unit>day|month|year|week)s?(?:'s|')?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Duration:
    value: int
    unit: str
    """"days", "months", "years" or "weeks"."""
    business: bool = False
    start: int = 0
    end: int = 0

    def as_months(self) -> int | None:
        if self.unit == "months":
            return self.value
        if self.unit == "years":
            return self.value * 12
        return None

    def to_json(self) -> dict[str, object]:
        """``business`` only when set ("30 business days"), so calendar periods read as before."""
        out: dict[str, object] = {"value": self.value, "unit": self.unit}
        if self.business and self.unit == "days":
            out["business"] = True
        return out


def words_to_int(words: str) -> int | None:
    try:
        return int(w2n.word_to_num(words.replace("-", " ").replace(" and ", " ")))
    except ValueError:
        return None


def durations(text: str, offset: int = 0) -> list[Duration]:
    """Every duration in ``text``; when figures and words disagree ("ninety (60) days") the figure wins,
    as it does in most contracts' interpretation clauses."""
    out: list[Duration] = []
    for m in DURATION.finditer(text):
        raw = m.group("paren") or m.group("digits")
        value = int(raw) if raw is not None else words_to_int(m.group("alone"))
        if value is None or value <= 0:
            continue
        kind = (m.group("kind") or "").lower()
        out.append(
            Duration(value, UNITS[m.group("unit").lower()], kind in ("business", "working"),
                     offset + m.start(), offset + m.end())
        )  # fmt: skip
    return out


# --------------------------------------------------------------------------- dates

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_ORDINAL_WORDS = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|"
    r"twenty[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty[\s-]first)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_YEAR = rf"(?:\d{{4}}|two thousand(?:[\s-]+(?:and[\s-]+)?{NUMBER_WORDS})?)"
DATE = re.compile(
    rf"(?P<dayof>(?:the\s+)?{_DAY}\s+day\s+of\s+{_MONTH},?\s+(?:in\s+the\s+year\s+)?{_YEAR})"
    rf"|(?P<mdy>{_MONTH}\s+{_DAY},?\s+{_YEAR})"
    rf"|(?P<dmy>{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR})"
    r"|(?P<iso>\b\d{4}-\d{2}-\d{2}\b)"
    r"|(?P<numeric>\b\d{1,2}/\d{1,2}/\d{4}\b)",
    re.IGNORECASE,
)
_ORDINAL_NUMBERS = {
    word: n
    for n, word in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}


@dataclass(frozen=True, slots=True)
class DateMention:
    value: date
    start: int
    end: int


def _day_number(word: str) -> str:
    w = word.lower().replace("-", " ")
    if w in _ORDINAL_NUMBERS:
        return str(_ORDINAL_NUMBERS[w])
    if w == "thirtieth":
        return "30"
    if w.startswith(("twenty ", "thirty ")):
        tens, unit = w.split(" ", 1)
        return str((20 if tens == "twenty" else 30) + _ORDINAL_NUMBERS[unit])
    return re.sub(r"(st|nd|rd|th)$", "", w)


def _year_number(words: str) -> str:
    if words.isdigit():
        return words
    value = words_to_int(words)
    return str(value) if value is not None else words


_MONTH_NUMBER = {
    name: n
    for n, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}


@lru_cache(maxsize=4096)
def parse_date(mention: str, day_first: bool = False) -> date | None:
    """One date as written, or None when it is not a real calendar date (31 February, 13/13/2025)."""
    m = DATE.fullmatch(mention.strip())
    if m is None:
        return None
    try:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso"))
        if m.group("numeric"):
            first, second, year = (int(x) for x in m.group("numeric").split("/"))
            return date(year, first, second) if not day_first else date(year, second, first)
        return _worded_date(m)
    except (ValueError, KeyError):
        return None


def _worded_date(m: re.Match[str]) -> date | None:
    text = re.sub(r"\s+", " ", m.group(0).strip().replace(",", " "))
    text = re.sub(r"^the | in the year ", " ", text, flags=re.IGNORECASE).strip()
    month = re.search(_MONTH, text, re.IGNORECASE)
    if month is None:
        return None
    day_before = bool(m.group("dayof") or m.group("dmy"))
    day = re.search(_DAY, text[: month.start()] if day_before else text[month.end() :], re.IGNORECASE)
    year = re.search(_YEAR + r"$", text, re.IGNORECASE)
    if day is None or year is None:
        return None
    return date(
        int(_year_number(year.group(0))),
        _MONTH_NUMBER[month.group(0).lower()[:3]],
        int(_day_number(day.group(0))),
    )


def dates(text: str, offset: int = 0, *, day_first: bool = False) -> list[DateMention]:
    """Every calendar date written in ``text`` (offsets into the document when ``offset`` is given)."""
    out: list[DateMention] = []
    for m in DATE.finditer(text):
        value = parse_date(m.group(0), day_first)
        if value is not None:
            out.append(DateMention(value, offset + m.start(), offset + m.end()))
    return out
