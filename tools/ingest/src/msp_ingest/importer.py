"""The import loop every importer shares: rows in, fact events out, every rejected row reported.

An importer only says how one row becomes events (``Mapping.convert``). This module guarantees the
rest: a row that fails is written to the report with its file, line, field and reason and never
silently dropped; an exact duplicate row gives the same event id and is written once; a second row
for the same entity with *different* content in the same export is rejected as a conflict, because
guessing which one is right would be silent data loss of the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.registry import EventData, spec_for

from msp_ingest.report import ImportReport, Rejection
from msp_ingest.rows import FieldError, Row


@dataclass(frozen=True)
class Fact:
    """One event a row yields: the payload and the time the fact happened (the event time)."""

    data: EventData
    time: datetime


class Mapping(Protocol):
    """How one export format becomes fact events."""

    #: CloudEvents ``source`` of the events, e.g. ``psa.connectwise`` (part of the derived ids).
    source: str

    def rows(self, path: Path) -> Iterator[Row]: ...

    def convert(self, row: Row) -> Iterable[Fact]: ...


@dataclass
class ImportResult:
    envelopes: list[Envelope[Any]] = field(default_factory=list)
    report: ImportReport = field(default_factory=ImportReport)


def _explain(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(row)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return where, f"{first['msg']}{more}"


def run(
    mapping: Mapping,
    paths: Iterable[Path],
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Convert every row of every file; the envelopes come out ordered by event time, then id."""
    result = ImportResult()
    by_id: dict[str, Envelope[Any]] = {}
    first_seen: dict[tuple[str, str], tuple[str, Row]] = {}
    for path in paths:
        try:
            rows = list(mapping.rows(path))
        except (OSError, ValueError) as exc:
            result.report.reject(Rejection(str(path), 0, "(file)", f"cannot read the file: {exc}", ""))
            continue
        for row in rows:
            result.report.rows_read += 1
            if progress is not None:
                progress(1)
            try:
                facts = list(mapping.convert(row))
            except FieldError as exc:
                result.report.reject(Rejection.of(row, exc.field, exc.reason))
                continue
            except ValidationError as exc:
                where, why = _explain(exc)
                result.report.reject(Rejection.of(row, where, why))
                continue
            accepted = True
            pending: list[tuple[tuple[str, str], Envelope[Any]]] = []
            for fact in facts:
                spec = spec_for(fact.data)
                envelope = Envelope.build(fact.data, source=mapping.source, time=fact.time)
                entity = (spec.type, spec.key_of(fact.data))
                if envelope.id in by_id:
                    continue  # the same fact again: idempotent
                earlier = first_seen.get(entity)
                if earlier is not None and earlier[0] != envelope.id:
                    line = earlier[1].line
                    result.report.reject(
                        Rejection.of(
                            row,
                            spec.key,
                            f"{entity[1]!r} already appeared with different content at line {line}; "
                            "fix the export so each id appears once",
                        )
                    )
                    accepted = False
                    break
                pending.append((entity, envelope))
            if not accepted:
                continue
            if not pending and facts:
                result.report.duplicates += 1
            for entity, envelope in pending:
                by_id[envelope.id] = envelope
                first_seen[entity] = (envelope.id, row)
                result.report.count(envelope.type)
    result.envelopes = sorted(by_id.values(), key=lambda e: (e.time, e.id))
    return result


def write(result: ImportResult, out: Path) -> None:
    eventlog.write(result.envelopes, out)
