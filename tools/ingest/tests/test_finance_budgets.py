"""Budget CSV → finance.budget.set."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from msp_events import eventlog
from msp_events.types.finance import BudgetSet

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.finance.budgets import BudgetCsv
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "finance"


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(newline="") as file:
        return list(csv.DictReader(file))


def _date(text: str) -> date:
    if "/" in text:
        return datetime.strptime(text, "%m/%d/%Y").date()
    return date.fromisoformat(text)


def test_the_budget_sample_round_trips_field_by_field() -> None:
    result = importer.run(BudgetCsv(Options()), [SAMPLES / "budgets.csv"])
    assert result.report.rejections == []
    by_id: dict[str, BudgetSet] = {}
    times: dict[str, datetime] = {}
    for envelope in result.envelopes:
        assert isinstance(envelope.data, BudgetSet)
        by_id[envelope.data.budget_id] = envelope.data
        times[envelope.data.budget_id] = envelope.time
    rows = _rows("budgets.csv")
    assert sorted(by_id) == sorted(r["budget_id"] for r in rows)
    for row in rows:
        budget = by_id[row["budget_id"]]
        assert budget.department == row["department"]
        assert budget.category == (row["category"] or None)
        assert budget.cost_center == (row["cost_center"] or None)
        assert budget.period_start == _date(row["period_start"])
        assert budget.period_end == _date(row["period_end"])
        assert budget.planned.amount == Decimal(row["planned"])
        assert budget.planned.currency == row["currency"]
        threshold = row["alert_threshold_pct"]
        assert budget.alert_threshold_pct == (Decimal(threshold) if threshold else None)
        if row["updated_at"]:
            updated = datetime.fromisoformat(row["updated_at"].replace("Z", "+00:00"))
            updated = updated if updated.tzinfo else updated.replace(tzinfo=UTC)
            assert budget.updated_at == updated
            assert times[row["budget_id"]] == updated  # the revision's own time
        else:
            assert budget.updated_at is None
            assert times[row["budget_id"]] == datetime.combine(budget.period_start, datetime.min.time(), UTC)


def test_malformed_budget_rows_are_reported_with_line_field_and_reason() -> None:
    result = importer.run(BudgetCsv(Options()), [SAMPLES / "budgets_malformed.csv"])
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (3, "period_start", "'2026-04-31' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (4, "period_end", "2026-06-30 is before period_start 2026-07-01"),
        (5, "planned", "-500.00 is below 0"),
        (6, "currency", "unknown currency 'XYZ': use an ISO 4217 code such as USD, EUR or GBP"),
        (7, "budget_id", "is missing"),
        (8, "alert_threshold_pct", "0 is not above 0 (a % of planned, e.g. 80)"),
        (
            10,
            "budget_id",
            "'BUD-1' already appeared with different content at line 2; "
            "fix the export so each id appears once",
        ),
    ]
    assert [e.data.budget_id for e in result.envelopes] == ["BUD-1"]
    assert result.report.duplicates == 1  # line 9 repeats line 2 exactly
    assert result.report.rows_read == 9


def test_a_missing_currency_column_takes_the_currency_option(tmp_path: Path) -> None:
    export = tmp_path / "budgets.csv"
    export.write_text(
        "budget_id,department,period_start,period_end,planned\nB-1,Ops,2026-01-01,2026-12-31,100\n"
    )
    assert importer.run(BudgetCsv(Options()), [export]).report.rejections[0].field == "currency"
    result = importer.run(BudgetCsv(Options(currency="CAD")), [export])
    assert result.envelopes[0].data.planned.currency == "CAD"


def test_importing_twice_gives_the_same_ids() -> None:
    first = importer.run(BudgetCsv(Options()), [SAMPLES / "budgets.csv"])
    second = importer.run(BudgetCsv(Options()), [SAMPLES / "budgets.csv"])
    assert [e.id for e in first.envelopes] == [e.id for e in second.envelopes]


def test_cli_imports_budgets_and_reports_the_bad_rows(tmp_path: Path) -> None:
    out = tmp_path / "budgets.jsonl"
    result = CliRunner().invoke(app, ["run", "budgets", str(SAMPLES / "budgets.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(eventlog.read(out))) == 5
    result = CliRunner().invoke(
        app, ["run", "budgets", str(SAMPLES / "budgets_malformed.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    with (tmp_path / "budgets.jsonl.rejected.csv").open(newline="") as file:
        assert [int(r["line"]) for r in csv.DictReader(file)] == [3, 4, 5, 6, 7, 8, 10]
