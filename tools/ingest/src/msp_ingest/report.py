"""The import report: what was read, what became events, and every row that did not, with why.

Rejected rows go to a CSV (file, line, field, reason, raw row) that a person can open next to the
export and fix; nothing is dropped without a line there.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from msp_ingest.rows import Row


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    field: str
    reason: str
    raw: str

    @classmethod
    def of(cls, row: Row, field_name: str, reason: str) -> Rejection:
        return cls(
            row.file, row.line, field_name, reason, json.dumps(dict(row.fields), default=str, sort_keys=True)
        )


@dataclass
class ImportReport:
    rows_read: int = 0
    duplicates: int = 0
    events: Counter[str] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)

    def reject(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)

    def count(self, event_type: str) -> None:
        self.events[event_type] += 1

    @property
    def accepted_rows(self) -> int:
        return self.rows_read - len([r for r in self.rejections if r.line > 0])

    def write_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["file", "line", "field", "reason", "row"])
            for r in self.rejections:
                writer.writerow([r.file, r.line, r.field, r.reason, r.raw])

    def render(self, console: Console, *, report_path: Path | None = None, limit: int = 10) -> None:
        summary = Table("event type", "events", title="imported")
        for event_type, n in sorted(self.events.items()):
            summary.add_row(event_type, str(n))
        console.print(summary)
        console.print(
            f"{self.rows_read} rows read, {len(self.rejections)} rejected, "
            f"{self.duplicates} exact duplicates skipped (same event id)"
        )
        if self.rejections:
            table = Table("file:line", "field", "reason", title=f"rejected rows (first {limit})")
            for r in self.rejections[:limit]:
                table.add_row(f"{Path(r.file).name}:{r.line}", r.field, r.reason)
            console.print(table)
            if report_path is not None:
                console.print(
                    f"every rejected row is in {report_path}: fix them in the export and import again"
                )
