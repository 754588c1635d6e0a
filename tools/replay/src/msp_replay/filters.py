"""``--where`` filters, topic names and times as the commands accept them.

``--where FIELD=GLOB`` keeps events whose attribute matches (``type``, ``subject``, ``source``,
``id``, ``correlationid``, ``causationid``, ``partitionkey``); ``FIELD!=GLOB`` drops them. Globs
are shell patterns (``client.*``, ``client/C-1*``). Several ``=`` on one field are alternatives
(any may match); different fields must all hold.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from msp_events.registry import REGISTRY

FIELDS = ("type", "subject", "source", "id", "correlationid", "causationid", "partitionkey")
_CLAUSE = re.compile(r"^\s*([a-z]+)\s*(!=|=)\s*(.*?)\s*$")
_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhd])$")


class FilterError(ValueError):
    """A ``--where``, ``--since`` or topic we cannot use, saying what would be accepted."""


@dataclass(frozen=True)
class Where:
    """The conjunction of ``--where`` clauses; empty keeps everything."""

    include: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    clauses: tuple[str, ...] = ()

    @classmethod
    def parse(cls, clauses: Sequence[str] | None) -> Where:
        include: dict[str, list[str]] = {}
        exclude: dict[str, list[str]] = {}
        for clause in clauses or ():
            m = _CLAUSE.match(clause)
            if m is None or not m.group(3):
                raise FilterError(
                    f"--where {clause!r}: write FIELD=GLOB or FIELD!=GLOB, e.g. type=client.* "
                    "or subject=client/C-1"
                )
            name, op, pattern = m.groups()
            if name not in FIELDS:
                raise FilterError(
                    f"--where {clause!r}: unknown field {name!r}; use one of {', '.join(FIELDS)}"
                )
            (include if op == "=" else exclude).setdefault(name, []).append(pattern)
        return cls(
            {k: tuple(v) for k, v in include.items()},
            {k: tuple(v) for k, v in exclude.items()},
            tuple(clauses or ()),
        )

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def matches(self, attributes: Mapping[str, Any]) -> bool:
        """``attributes``: CloudEvent attributes (an envelope's, or ``ce_`` headers without prefix)."""
        for name, patterns in self.include.items():
            value = str(attributes.get(name) or "")
            if not any(fnmatch.fnmatchcase(value, p) for p in patterns):
                return False
        for name, patterns in self.exclude.items():
            value = str(attributes.get(name) or "")
            if any(fnmatch.fnmatchcase(value, p) for p in patterns):
                return False
        return True

    def describe(self) -> str:
        return " and ".join(self.clauses) if self.clauses else "everything"


def known_topics() -> dict[str, int]:
    """Every topic the registry declares (events, dead letters, redrive), with partitions."""
    from msp_replay.targets import all_topics

    return all_topics()


def resolve_topics(names: Iterable[str], *, every: bool = False) -> list[str]:
    """Event types or topic names → topic names (sorted, unique). ``every``: all event topics."""
    known = known_topics()
    out: set[str] = set()
    if every:
        out.update(spec.topic for spec in REGISTRY)
    for name in names:
        if name in REGISTRY:
            out.add(REGISTRY.get(name).topic)
        elif name in known:
            out.add(name)
        else:
            close = sorted(t for t in known if name in t)[:5]
            hint = f"; did you mean {', '.join(close)}" if close else ""
            raise FilterError(
                f"{name!r} is neither an event type nor a topic the registry declares{hint} "
                "(`msp-events topics plan` lists them)"
            )
    if not out:
        raise FilterError("name at least one event type or topic, or use --all")
    return sorted(out)


def parse_time(value: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 (``2026-05-01T08:00:00Z``; no zone means UTC), ``now``, or ``-15m``/``-2h``/``-1d``."""
    now = now or datetime.now(UTC)
    text = value.strip()
    if text == "now":
        return now
    relative = _RELATIVE.match(text)
    if relative is not None:
        amount, unit = float(relative.group(1)), relative.group(2)
        seconds = amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
        return now - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            f"{value!r} is not a time: use ISO 8601 (2026-05-01T08:00:00Z), now, or -15m / -2h / -1d"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
