"""AWS Cost Explorer and CUR exports → cloud.cost.recorded."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from msp_events import eventlog
from msp_events.types.cloud import CloudCostRecorded

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.finance.aws import CostExplorerCsv, CurLineItems
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "finance"
ACCOUNT = "111122223333"


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(newline="") as file:
        return list(csv.DictReader(file))


def _costs(result: importer.ImportResult) -> list[CloudCostRecorded]:
    costs = []
    for envelope in result.envelopes:
        assert isinstance(envelope.data, CloudCostRecorded)
        assert envelope.time == datetime.combine(envelope.data.usage_date, datetime.min.time(), UTC)
        costs.append(envelope.data)
    return costs


def test_the_console_download_round_trips_cell_by_cell() -> None:
    mapping = CostExplorerCsv(Options(extra={"account_id": ACCOUNT}))
    result = importer.run(mapping, [SAMPLES / "aws_cost_explorer.csv"])
    assert result.report.rejections == []
    got = {(c.usage_date, c.service): c for c in _costs(result)}
    expected = {}
    for row in _rows("aws_cost_explorer.csv"):
        if row["Service"] == "Service total":
            continue
        for column, value in row.items():
            if column not in ("Service", "Total costs($)"):
                expected[(date.fromisoformat(row["Service"]), column.removesuffix("($)"))] = Decimal(value)
    assert sorted(got) == sorted(expected)
    for key, amount in expected.items():
        cost = got[key]
        assert (cost.unblended_cost.amount, cost.unblended_cost.currency) == (amount, "USD")
        assert cost.linked_account_id == ACCOUNT
        assert (cost.region, cost.usage_type, cost.tags, cost.department) == (None, None, {}, None)
    assert len({c.cost_line_id for c in got.values()}) == len(got)
    assert result.report.rows_read == 3  # the "Service total" row is a sum, not a day


def test_the_console_download_needs_the_account() -> None:
    result = importer.run(CostExplorerCsv(Options()), [SAMPLES / "aws_cost_explorer.csv"])
    assert [(r.line, r.field) for r in result.report.rejections] == [(0, "(file)")]
    assert "--set account_id=ACCOUNT" in result.report.rejections[0].reason


def test_the_long_format_round_trips_field_by_field() -> None:
    result = importer.run(CostExplorerCsv(Options()), [SAMPLES / "aws_cost_explorer_long.csv"])
    assert result.report.rejections == []
    costs = _costs(result)
    rows = _rows("aws_cost_explorer_long.csv")
    assert len(costs) == len(rows)
    by_key = {(c.linked_account_id, c.service, c.usage_type): c for c in costs}
    for row in rows:
        cost = by_key[(row["linked_account"], row["service"], row["usage_type"] or None)]
        assert cost.usage_date == date.fromisoformat(row["date"])
        assert cost.linked_account_name == row["linked_account_name"]
        assert cost.region == (row["region"] or None)
        key, _, value = row["tag"].partition("$")
        assert cost.tags == ({"cost_center": value} if value else {})
        assert key == "CostCenter"
        assert cost.department == (value or None)
        assert cost.unblended_cost.amount == Decimal(row["unblended_cost"])
        assert cost.amortized_cost is not None and cost.amortized_cost.amount == Decimal(
            row["amortized_cost"]
        )
        assert cost.unblended_cost.currency == row["currency"]
        quantity = row["usage_quantity"]
        assert cost.usage_quantity == (Decimal(quantity) if quantity else None)
        assert cost.usage_unit == (row["usage_unit"] or None)
    assert by_key[(ACCOUNT, "Tax", None)].unblended_cost.amount == Decimal("-2.50")  # credits may be negative


def test_cost_explorer_malformed_rows_are_reported_with_line_field_and_reason() -> None:
    result = importer.run(CostExplorerCsv(Options()), [SAMPLES / "aws_cost_explorer_malformed.csv"])
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    line_id = result.envelopes[0].data.cost_line_id
    assert got == [
        (3, "date", "'2026-01-32' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (4, "usage_quantity", "-135.65 is below 0"),
        (5, "currency", "unknown currency 'USX': use an ISO 4217 code such as USD, EUR or GBP"),
        (6, "linked_account", "is missing: give the column or --set account_id=ACCOUNT"),
        (7, "unblended_cost", "'lots' is not a number"),
        (
            9,
            "cost_line_id",
            f"{line_id!r} already appeared with different content at line 2; "
            "fix the export so each id appears once",
        ),
    ]
    assert len(result.envelopes) == 1
    assert result.report.duplicates == 1  # line 8 repeats line 2


def test_cur_line_items_are_summed_per_day_account_service_and_tags() -> None:
    result = importer.run(CurLineItems(Options()), [SAMPLES / "aws_cur.csv"])
    assert result.report.rejections == []
    expected: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    quantities: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    for row in _rows("aws_cur.csv"):
        key = (
            row["lineItem/UsageStartDate"][:10],
            row["lineItem/UsageAccountId"],
            row["product/ProductName"],
            row["product/region"],
            row["lineItem/UsageType"],
            row["resourceTags/user:CostCenter"],
            row["resourceTags/user:Client"],
        )
        expected[key] += Decimal(row["lineItem/UnblendedCost"])
        quantities[key] += Decimal(row["lineItem/UsageAmount"] or "0")
    got = {
        (
            c.usage_date.isoformat(),
            c.linked_account_id,
            c.service,
            c.region or "",
            c.usage_type or "",
            c.tags.get("cost_center", ""),
            c.tags.get("client", ""),
        ): c
        for c in _costs(result)
    }
    assert sorted(got) == sorted(expected)
    for key, amount in expected.items():
        assert got[key].unblended_cost.amount == amount
        assert got[key].unblended_cost.currency == "USD"
        assert got[key].usage_quantity == quantities[key]
        assert got[key].department == key[5]
    ec2 = got[
        (
            "2026-01-05",
            ACCOUNT,
            "Amazon Elastic Compute Cloud",
            "eu-west-1",
            "EU-BoxUsage:m5.large",
            "Service Delivery",
            "",
        )
    ]
    assert ec2.unblended_cost.amount == Decimal("0.271")  # 3 hours at 0.107 and a 0.05 credit
    assert (ec2.usage_quantity, ec2.usage_unit) == (Decimal(3), "Hrs")


def test_cur_2_column_names_read_the_same(tmp_path: Path) -> None:
    export = tmp_path / "cur2.csv"
    export.write_text(
        "identity_line_item_id,line_item_usage_start_date,line_item_usage_account_id,line_item_product_code,"
        "product_region_code,line_item_usage_type,line_item_usage_amount,pricing_unit,line_item_unblended_cost,"
        "line_item_currency_code,resource_tags\n"
        + "".join(
            f"{ident},2026-01-05 0{hour}:00:00,111122223333,AmazonEC2,eu-west-1,BoxUsage,1,Hrs,0.10,USD,"
            '"{""user_costcenter"": ""Ops""}"\n'
            for hour, ident in enumerate("ab")
        )
    )
    result = importer.run(CurLineItems(Options(extra={"department_tag": "costcenter"})), [export])
    assert result.report.rejections == []
    [cost] = _costs(result)
    assert (cost.service, cost.tags, cost.department) == ("AmazonEC2", {"costcenter": "Ops"}, "Ops")
    assert cost.unblended_cost.amount == Decimal("0.20")


def test_cur_malformed_lines_are_reported_with_line_field_and_reason() -> None:
    result = importer.run(CurLineItems(Options()), [SAMPLES / "aws_cur_malformed.csv"])
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (4, "lineItem/UsageStartDate", "'05-01-2026' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (5, "lineItem/UsageAmount", "-1 is below 0"),
        (6, "lineItem/CurrencyCode", "unknown currency 'US': use an ISO 4217 code such as USD, EUR or GBP"),
        (7, "identity/LineItemId", "is missing"),
        (8, "lineItem/UsageAccountId", "is missing"),
        (
            10,
            "identity/LineItemId",
            "'li-2' already appeared with different content at line 3; "
            "fix the export so each id appears once",
        ),
    ]
    [cost] = _costs(result)
    assert cost.unblended_cost.amount == Decimal("0.214")  # li-1 and li-2, the repeat of li-1 counted once
    assert result.report.duplicates == 1


def test_importing_twice_gives_the_same_ids() -> None:
    runs = [
        (CostExplorerCsv(Options(extra={"account_id": ACCOUNT})), "aws_cost_explorer.csv"),
        (CostExplorerCsv(Options()), "aws_cost_explorer_long.csv"),
        (CurLineItems(Options()), "aws_cur.csv"),
    ]
    for mapping, name in runs:
        first = importer.run(mapping, [SAMPLES / name])
        second = importer.run(mapping, [SAMPLES / name])
        assert first.envelopes and [e.id for e in first.envelopes] == [e.id for e in second.envelopes]


def test_cli_imports_cost_explorer_and_cur(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ce.jsonl"
    args = ["run", "aws.cost-explorer", str(SAMPLES / "aws_cost_explorer.csv"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--set", f"account_id={ACCOUNT}", "--client", "C-1001"])
    assert result.exit_code == 0, result.output
    events = list(eventlog.read(out))
    assert len(events) == 15 and {e.data.client_id for e in events} == {"C-1001"}
    out = tmp_path / "cur.jsonl"
    result = runner.invoke(app, ["run", "aws.cur", str(SAMPLES / "aws_cur_malformed.csv"), "--out", str(out)])
    assert result.exit_code == 2, result.output
    with (tmp_path / "cur.jsonl.rejected.csv").open(newline="") as file:
        assert [int(r["line"]) for r in csv.DictReader(file)] == [4, 5, 6, 7, 8, 10]


def _by_id(result: importer.ImportResult) -> dict[str, CloudCostRecorded]:
    assert result.report.rejections == []
    return {c.cost_line_id: c for c in _costs(result)}


def test_cur_2_reads_the_service_from_the_product_map_and_matches_the_legacy_cur() -> None:
    legacy = _by_id(importer.run(CurLineItems(Options()), [SAMPLES / "aws_cur.csv"]))
    cur2 = _by_id(importer.run(CurLineItems(Options()), [SAMPLES / "aws_cur2.csv"]))
    assert "product_product_name" not in _rows("aws_cur2.csv")[0]
    assert sorted(cur2) == sorted(legacy)
    for line_id, cost in cur2.items():
        old = legacy[line_id]
        assert cost.service == old.service != cost.service.replace(" ", "")  # a name, not the code
        assert (cost.region, cost.usage_type, cost.tags, cost.department) == (
            old.region,
            old.usage_type,
            old.tags,
            old.department,
        )
        assert cost.unblended_cost == old.unblended_cost
        assert cost.usage_quantity == old.usage_quantity
    assert {c.service for c in cur2.values()} == {
        "Amazon Elastic Compute Cloud",
        "Amazon Simple Storage Service",
        "Amazon Relational Database Service",
    }


def test_one_department_tag_setting_reads_legacy_cur_cur_2_and_cost_explorer(tmp_path: Path) -> None:
    explorer = tmp_path / "ce.csv"
    explorer.write_text(
        "date,linked_account,service,region,usage_type,tag,unblended_cost,currency\n"
        "2026-01-05,111122223333,Amazon Simple Storage Service,eu-west-1,EU-TimedStorage-ByteHrs,"
        "CostCenter$Marketing,0.1009,USD\n"
    )
    options = Options(extra={"department_tag": "CostCenter"})
    (from_ce,) = _by_id(importer.run(CostExplorerCsv(options), [explorer])).values()
    for name in ("aws_cur.csv", "aws_cur2.csv"):
        costs = _by_id(importer.run(CurLineItems(options), [SAMPLES / name]))
        same = costs[from_ce.cost_line_id]  # the same line has the same id in all three exports
        assert (same.service, same.department, same.tags) == (from_ce.service, "Marketing", from_ce.tags)
        assert same.unblended_cost == from_ce.unblended_cost
        assert {c.department for c in costs.values()} == {"Service Delivery", "Marketing"}


def test_cur_as_aws_delivers_it_gzip_zip_and_parquet(tmp_path: Path) -> None:
    import gzip
    import json
    import zipfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    expected = _by_id(importer.run(CurLineItems(Options()), [SAMPLES / "aws_cur2.csv"]))
    text = (SAMPLES / "aws_cur2.csv").read_bytes()
    gz = tmp_path / "cur-00001.csv.gz"
    gz.write_bytes(gzip.compress(text))
    zipped = tmp_path / "cur-00001.csv.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("cur-00001.csv", text)
    rows = _rows("aws_cur2.csv")
    columns: dict[str, pa.Array] = {}
    for name in rows[0]:
        values = [r[name] or None for r in rows]
        if name in ("product", "resource_tags"):
            maps = [list(json.loads(v).items()) if v else None for v in values]
            columns[name] = pa.array(maps, type=pa.map_(pa.string(), pa.string()))
        elif name in ("line_item_usage_start_date", "line_item_usage_end_date"):
            stamps = [datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None for v in values]
            columns[name] = pa.array(stamps, type=pa.timestamp("ms", tz="UTC"))
        elif name in ("line_item_unblended_cost", "line_item_usage_amount"):
            columns[name] = pa.array([float(v) if v else None for v in values], type=pa.float64())
        else:
            columns[name] = pa.array(values, type=pa.string())
    parquet = tmp_path / "cur-00001.snappy.parquet"
    pq.write_table(pa.table(columns), parquet, compression="snappy")
    for path in (gz, zipped, parquet):
        got = _by_id(importer.run(CurLineItems(Options()), [path]))
        assert sorted(got) == sorted(expected), path
        for line_id, cost in got.items():
            assert cost.unblended_cost == expected[line_id].unblended_cost, path
            assert cost.usage_quantity == expected[line_id].usage_quantity, path
            assert cost.tags == expected[line_id].tags, path


def test_a_bad_parquet_line_is_reported_by_its_record_number(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _rows("aws_cur2.csv")[:2]
    table = pa.table({name: pa.array([r[name] or None for r in rows], type=pa.string()) for name in rows[0]})
    table = table.set_column(
        table.schema.get_field_index("line_item_currency_code"),
        "line_item_currency_code",
        pa.array(["USD", "US"]),
    )
    path = tmp_path / "cur.parquet"
    pq.write_table(table, path)
    result = importer.run(CurLineItems(Options()), [path])
    assert [(r.line, r.field) for r in result.report.rejections] == [(2, "line_item_currency_code")]
