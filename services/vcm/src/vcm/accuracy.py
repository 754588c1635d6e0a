"""Per-field accuracy of extracted terms against a truth (simulator truth or a hand-written set).

A truth row holds the field values a reader would write down (``null`` where the contract does
not state the term); a field counts as right only when the extraction gives the same value, and an
extraction of a term the truth says is absent counts as wrong, so guessing is never rewarded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCORED = (
    "parties",
    "agreement_date",
    "effective_date",
    "expiration_date",
    "renewal_term",
    "auto_renew",
    "notice_period",
    "governing_law",
    "termination_for_convenience",
    "contract_value",
)


def _months(d: Mapping[str, Any]) -> int | None:
    unit, value = d.get("unit"), int(d.get("value", 0))
    return value if unit == "months" else value * 12 if unit == "years" else None


def same_duration(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal periods: 1 year = 12 months, 2 weeks = 14 days; a month counts as 30 days only to
    compare with a truth stated in days (the simulator writes 90 days as "three months")."""

    def days(d: Mapping[str, Any]) -> int | None:
        unit, value = d.get("unit"), int(d.get("value", 0))
        return value if unit == "days" else value * 7 if unit == "weeks" else None

    ma, mb = _months(a), _months(b)
    if ma is not None and mb is not None:
        return ma == mb
    da, db = days(a), days(b)
    if da is not None and db is not None:
        return da == db
    m, d = (ma, db) if ma is not None else (mb, da)
    return m is not None and d is not None and m * 30 == d


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace(".", " ").split())


def field_correct(name: str, got: Any, want: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if name == "parties":
        return {_norm(p) for p in got} == {_norm(p) for p in want}
    if name in ("renewal_term", "notice_period"):
        return same_duration(got, want)
    if name == "governing_law":
        return _norm(str(got)) == _norm(str(want))
    if name == "contract_value":
        return (str(got["currency"]), float(got["amount"])) == (str(want["currency"]), float(want["amount"]))
    return bool(got == want)


def values(extracted: Mapping[str, Any]) -> dict[str, Any]:
    """The bare values of an ``msp-vcm extract`` object (the evidence dropped)."""
    return {name: (None if extracted.get(name) is None else extracted[name]["value"]) for name in SCORED}


@dataclass
class Accuracy:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def add(self, doc: str, extracted: Mapping[str, Any], truth: Mapping[str, Any]) -> None:
        got = values(extracted)
        for name in SCORED:
            if name not in truth:
                continue
            self.total[name] += 1
            if field_correct(name, got[name], truth[name]):
                self.right[name] += 1
            else:
                self.misses.append((doc, name, got[name], truth[name]))

    def rate(self, name: str) -> float:
        return self.right[name] / self.total[name] if self.total[name] else 0.0

    def overall(self) -> float:
        total = sum(self.total.values())
        return sum(self.right.values()) / total if total else 0.0

    def table(self) -> str:
        rows = [f"{'field':<30} {'right':>6} {'of':>6} {'accuracy':>9}"]
        for name in SCORED:
            if self.total[name]:
                rows.append(f"{name:<30} {self.right[name]:>6} {self.total[name]:>6} {self.rate(name):>9.1%}")
        rows.append(
            f"{'all fields':<30} {sum(self.right.values()):>6} {sum(self.total.values()):>6} "
            f"{self.overall():>9.1%}"
        )
        return "\n".join(rows)


def score(pairs: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]]) -> Accuracy:
    acc = Accuracy()
    for doc, extracted, truth in pairs:
        acc.add(doc, extracted, truth)
    return acc
