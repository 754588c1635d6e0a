"""The shared import loop, shown on the expense CSV: good rows become events, bad rows are reported."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from msp_events import eventlog

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.finance.expenses import ExpenseCsv
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "finance"


def test_the_sample_export_round_trips_field_by_field() -> None:
    result = importer.run(ExpenseCsv(Options()), [SAMPLES / "expenses.csv"])
    assert result.report.rejections == []
    by_id = {e.data.expense_id: e.data for e in result.envelopes}
    with (SAMPLES / "expenses.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert sorted(by_id) == sorted(r["expense_id"] for r in rows)
    for row in rows:
        expense = by_id[row["expense_id"]]
        assert expense.amount.amount == Decimal(row["amount"])
        assert expense.amount.currency == row["currency"]
        assert expense.department == row["department"]
        assert expense.vendor == row["vendor"]
        assert expense.merchant_category_code == (row["mcc"] or None)
    refund = by_id["EXP-1005"]
    assert refund.amount.amount == Decimal("-45.00")
    assert by_id["EXP-1004"].expense_date.isoformat() == "2026-01-12"  # MM/DD/YYYY


def test_malformed_rows_are_reported_with_line_field_and_reason() -> None:
    result = importer.run(ExpenseCsv(Options()), [SAMPLES / "expenses_malformed.csv"])
    got = [(r.line, r.field, r.reason.split(":")[0]) for r in result.report.rejections]
    assert got == [
        (3, "date", "'2026-02-30' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (4, "amount", "'three hundred' is not a number"),
        (5, "currency", "unknown currency 'USX'"),
        (6, "expense_id", "is missing"),
        (
            8,
            "expense_id",
            "'EXP-2001' already appeared with different content at line 2; "
            "fix the export so each id appears once",
        ),
    ]
    assert [e.data.expense_id for e in result.envelopes] == ["EXP-2001"]
    assert result.report.duplicates == 1  # line 7 repeats line 2 exactly: same id, written once
    assert result.report.rows_read == 7


def test_importing_twice_gives_the_same_ids(tmp_path: Path) -> None:
    first = importer.run(ExpenseCsv(Options()), [SAMPLES / "expenses.csv"])
    second = importer.run(ExpenseCsv(Options()), [SAMPLES / "expenses.csv"])
    assert [e.id for e in first.envelopes] == [e.id for e in second.envelopes]


def test_cli_writes_the_log_and_the_rejection_report(tmp_path: Path) -> None:
    out = tmp_path / "facts.jsonl"
    result = CliRunner().invoke(
        app, ["run", "expenses", str(SAMPLES / "expenses_malformed.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert [e.data.expense_id for e in eventlog.read(out)] == ["EXP-2001"]
    with (tmp_path / "facts.jsonl.rejected.csv").open(newline="") as file:
        report = list(csv.DictReader(file))
    assert [int(r["line"]) for r in report] == [3, 4, 5, 6, 8]
    assert all(r["reason"] for r in report)


def test_cli_rejects_an_unknown_kind_with_the_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "quickbooks", str(SAMPLES / "expenses.csv"), "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "msp-ingest kinds" in result.output
