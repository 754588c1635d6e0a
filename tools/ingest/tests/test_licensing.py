"""Licence importers: Pax8 subscriptions, Graph subscribedSkus joined to them, Graph users."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from msp_events import eventlog
from msp_events.types.licensing import SeatActivity, SubscriptionUpserted

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.licensing.graph import GraphSubscribedSkus, GraphUsers
from msp_ingest.licensing.pax8 import Pax8Subscriptions
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "licensing"
MAPS = {"company_map": str(SAMPLES / "company_map.csv"), "sku_map": str(SAMPLES / "sku_map.csv")}
OBSERVED = "2026-01-16T06:00:00Z"
TENANT = "48a80680-7326-48cd-9935-b556b81d3a4e"


def _csv(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(newline="") as file:
        return list(csv.DictReader(file))


def _json(name: str) -> list[dict[str, Any]]:
    document = json.loads((SAMPLES / name).read_text())
    records: list[dict[str, Any]] = document.get("content") or document["value"]
    return records


def _subscriptions(result: importer.ImportResult) -> dict[str, SubscriptionUpserted]:
    out: dict[str, SubscriptionUpserted] = {}
    for envelope in result.envelopes:
        assert isinstance(envelope.data, SubscriptionUpserted)
        out[envelope.data.subscription_id] = envelope.data
    return out


def _pax8_json() -> importer.ImportResult:
    mapping = Pax8Subscriptions(Options(extra={**MAPS, "vendor": "Microsoft"}))
    return importer.run(mapping, [SAMPLES / "pax8_subscriptions.json"])


def test_pax8_api_content_round_trips_field_by_field() -> None:
    result = _pax8_json()
    assert result.report.rejections == []
    by_id = _subscriptions(result)
    companies = {r["pax8_company_id"]: r for r in _csv("company_map.csv")}
    skus = {r["product_id"]: r for r in _csv("sku_map.csv")}
    records = _json("pax8_subscriptions.json")
    assert sorted(by_id) == sorted(r["id"] for r in records)
    months = {"Annual": 12, "Monthly": 1}
    statuses = {"Active": "active", "PendingAutomated": "pending", "Cancelled": "cancelled"}
    for record in records:
        s = by_id[record["id"]]
        assert s.client_id == companies[record["companyId"]]["client_id"]
        assert s.tenant_id == companies[record["companyId"]]["tenant_id"]
        assert s.product_id == record["productId"]
        assert s.sku_id == skus[record["productId"]]["sku_id"]
        assert s.sku_part_number == skus[record["productId"]]["sku_part_number"]
        assert (s.vendor, s.distributor) == ("Microsoft", "Pax8")
        assert s.product_name == record["productName"]
        assert s.quantity == record["quantity"]
        assert s.unit_cost.amount == Decimal(str(record["partnerCost"]))
        assert s.unit_price.amount == Decimal(str(record["price"]))
        assert s.unit_cost.currency == s.unit_price.currency == record["currencyCode"]
        assert s.billing_term == record["billingTerm"].lower()
        assert s.start_date is not None and s.start_date.isoformat() == record["startDate"][:10]
        assert s.status == statuses[record["status"]]
        commitment = record.get("commitmentTerm")
        if commitment:
            assert s.commitment_term_months == months[commitment["term"]]
            assert s.commitment_end_date is not None
            assert s.commitment_end_date.isoformat() == commitment["endDate"][:10]
        else:
            assert s.commitment_term_months is None and s.commitment_end_date is None
        expected = datetime.fromisoformat(record.get("updatedDate") or record["createdDate"])
        assert s.updated_at == expected
    times = {e.data.subscription_id: e.time for e in result.envelopes}
    assert times["7e2a9c41-3b5d-4f6a-8e1c-2d3b4a5f6e7d"] == datetime(2026, 1, 5, 10, 30, tzinfo=UTC)


def test_pax8_csv_export_round_trips_field_by_field() -> None:
    result = importer.run(Pax8Subscriptions(Options(extra=MAPS)), [SAMPLES / "pax8_subscriptions.csv"])
    assert result.report.rejections == []
    by_id = _subscriptions(result)
    rows = _csv("pax8_subscriptions.csv")
    assert sorted(by_id) == sorted(r["id"] for r in rows)
    for row in rows:
        s = by_id[row["id"]]
        assert s.vendor == row["vendor"]
        assert s.product_name == row["productName"]
        assert s.quantity == int(row["quantity"])
        assert s.unit_cost.amount == Decimal(row["partnerCost"])
        assert s.unit_price.amount == Decimal(row["price"])
        assert s.start_date is not None and s.start_date.isoformat() == row["startDate"]
        assert s.auto_renew == ({"true": True, "false": False}.get(row["autoRenew"]))
        assert s.updated_at == datetime.fromisoformat(row["updatedDate"])
    # no sku_map line for these products: the export's own skuId / part number are kept
    assert by_id["6c1d4f7a-2b8e-4c3d-9f5a-7b8c9d0e1f24"].sku_id == "ACR-CPC-WS"
    premium = by_id["9d2e5a8b-3c9f-4d4e-a06b-8c9d0e1f2a35"]
    assert (premium.billing_term, premium.commitment_term_months) == ("annual", 36)
    assert premium.commitment_end_date is not None and premium.commitment_end_date.isoformat() == "2028-10-31"
    trial = by_id["0e3f6b9c-4d0a-4e5f-b17c-9d0e1f2a3b46"]
    assert (trial.status, trial.commitment_term_months, trial.auto_renew) == ("trial", None, None)


def test_without_a_company_map_the_pax8_company_id_is_kept_visibly() -> None:
    result = importer.run(Pax8Subscriptions(Options()), [SAMPLES / "pax8_subscriptions.csv"])
    assert result.report.rejections == []
    clients = {e.data.client_id for e in result.envelopes if isinstance(e.data, SubscriptionUpserted)}
    assert clients == {
        "pax8:2aa4862a-9474-4138-9863-4f0a8e4cec74",
        "pax8:da300208-0c17-4b6f-ab82-e1e7c0b98362",
    }


def test_pax8_malformed_rows_are_reported_with_line_field_and_reason() -> None:
    options = Options(extra={"company_map": str(SAMPLES / "company_map.csv")})
    result = importer.run(Pax8Subscriptions(options), [SAMPLES / "pax8_subscriptions_malformed.csv"])
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (3, "startDate", "'2026-13-01' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (4, "quantity", "-3 is negative: a count of seats cannot be"),
        (5, "currencyCode", "unknown currency 'USX': use an ISO 4217 code such as USD, EUR or GBP"),
        (6, "id", "is missing"),
        (
            8,
            "subscription_id",
            "'S-001' already appeared with different content at line 2; "
            "fix the export so each id appears once",
        ),
        (
            9,
            "companyId",
            "Pax8 company '0c5bd95d-bd33-4bb0-8419-a821c00173dd' is not in the company map "
            f"{SAMPLES / 'company_map.csv'}: add a pax8_company_id,client_id line for it",
        ),
        (10, "partnerCost", "-1.00 is below 0"),
        (11, "billingTerm", "'One-Time' is a one-time charge, not a seat subscription"),
    ]
    assert [e.data.subscription_id for e in result.envelopes] == ["S-001"]
    assert result.report.duplicates == 1  # line 7 repeats line 2 exactly
    assert result.report.rows_read == 10


def test_a_missing_company_map_file_is_reported_against_the_export(tmp_path: Path) -> None:
    options = Options(extra={"company_map": str(tmp_path / "nope.csv")})
    result = importer.run(Pax8Subscriptions(options), [SAMPLES / "pax8_subscriptions.csv"])
    assert [(r.line, r.field) for r in result.report.rejections] == [(0, "(file)")]
    assert "nope.csv" in result.report.rejections[0].reason
    assert result.envelopes == []


def _graph_options(**extra: str) -> Options:
    settings = {**MAPS, "vendor": "Microsoft", "pax8": str(SAMPLES / "pax8_subscriptions.json")}
    return Options(client_id="C-1001", extra={**settings, "observed_at": OBSERVED, **extra})


def test_graph_skus_join_the_pax8_bill_with_the_tenant_truth() -> None:
    result = importer.run(GraphSubscribedSkus(_graph_options()), [SAMPLES / "graph_subscribed_skus.json"])
    assert result.report.rejections == []
    joined = _subscriptions(result)
    bought = _subscriptions(_pax8_json())
    skus = {r["skuId"]: r for r in _json("graph_subscribed_skus.json")}
    # the client's live Pax8 subscriptions of the tenant's SKUs; the cancelled one is not joined
    assert sorted(joined) == sorted(
        [
            "5d0e4b6a-1f3c-4a8e-9b2d-7c6f1e0a3b41",
            "7e2a9c41-3b5d-4f6a-8e1c-2d3b4a5f6e7d",
            "1c8f3e5a-9d2b-4c7e-a6f1-3e4d5c6b7a80",
        ]
    )
    observed = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    for subscription_id, s in joined.items():
        pax8 = bought[subscription_id]
        sku = skus[s.sku_id]
        # the bill stays the distributor's
        assert (s.quantity, s.unit_cost, s.unit_price, s.billing_term) == (
            pax8.quantity,
            pax8.unit_cost,
            pax8.unit_price,
            pax8.billing_term,
        )
        assert (s.client_id, s.product_id, s.commitment_end_date) == (
            pax8.client_id,
            pax8.product_id,
            pax8.commitment_end_date,
        )
        # what only the tenant knows
        assert s.sku_part_number == sku["skuPartNumber"]
        assert s.capability_status == sku["capabilityStatus"].lower()
        assert s.tenant_id == TENANT
        assert s.updated_at == observed
    # 28 Business Premium seats consumed: the annual 25 first (earlier start), 3 on the monthly 5
    assert joined["5d0e4b6a-1f3c-4a8e-9b2d-7c6f1e0a3b41"].consumed_units == 25
    assert joined["7e2a9c41-3b5d-4f6a-8e1c-2d3b4a5f6e7d"].consumed_units == 3
    assert joined["1c8f3e5a-9d2b-4c7e-a6f1-3e4d5c6b7a80"].consumed_units == 9
    assert all(e.time == observed for e in result.envelopes)


def test_graph_skus_malformed_rows_are_reported_with_line_field_and_reason() -> None:
    result = importer.run(
        GraphSubscribedSkus(_graph_options()), [SAMPLES / "graph_subscribed_skus_malformed.json"]
    )
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (
            2,
            "skuId",
            "FLOW_FREE (f30db892-07e9-47e9-837c-80727f46fd3d) has no Pax8 subscription for client "
            "'C-1001': bought elsewhere, free, or missing from the sku_map",
        ),
        (3, "consumedUnits", "-2 is negative: a count of seats cannot be"),
        (4, "capabilityStatus", "'Expired' is not one of Enabled, Warning, Suspended, Deleted, LockedOut"),
        (5, "skuId", "is missing"),
        (
            7,
            "subscription_id",
            "'7e2a9c41-3b5d-4f6a-8e1c-2d3b4a5f6e7d' already appeared with different content at line 1; "
            "fix the export so each id appears once",
        ),
    ]
    assert result.report.duplicates == 1  # record 6 repeats record 1 exactly
    assert len(result.envelopes) == 2


def test_graph_skus_without_the_pax8_export_or_client_are_refused_with_the_reason() -> None:
    no_pax8 = Options(client_id="C-1001", extra={"observed_at": OBSERVED})
    result = importer.run(GraphSubscribedSkus(no_pax8), [SAMPLES / "graph_subscribed_skus.json"])
    assert [r.field for r in result.report.rejections] == ["(file)"]
    assert "--set pax8=FILE" in result.report.rejections[0].reason
    no_client = Options(extra={"pax8": str(SAMPLES / "pax8_subscriptions.json")})
    result = importer.run(GraphSubscribedSkus(no_client), [SAMPLES / "graph_subscribed_skus.json"])
    assert "--client" in result.report.rejections[0].reason


def _users(**extra: str) -> importer.ImportResult:
    settings = {"observed_at": OBSERVED, "tenant_id": TENANT, **extra}
    return importer.run(
        GraphUsers(Options(client_id="C-1001", extra=settings)), [SAMPLES / "graph_users.json"]
    )


def test_graph_users_round_trip_field_by_field() -> None:
    result = _users(skus=str(SAMPLES / "graph_subscribed_skus.json"))
    assert result.report.rejections == []
    by_id: dict[str, SeatActivity] = {}
    for envelope in result.envelopes:
        assert isinstance(envelope.data, SeatActivity)
        by_id[envelope.data.user_id] = envelope.data
    part_numbers = {r["skuId"]: r["skuPartNumber"] for r in _json("graph_subscribed_skus.json")}
    records = _json("graph_users.json")
    assert sorted(by_id) == sorted(r["id"] for r in records)
    observed = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    for record in records:
        u = by_id[record["id"]]
        assert (u.client_id, u.tenant_id, u.observed_at) == ("C-1001", TENANT, observed)
        assert u.user_principal_name == record["userPrincipalName"]
        assert u.display_name == record.get("displayName")
        assert u.department == record.get("department")
        assert u.user_type == record["userType"].lower()
        assert u.account_enabled is record["accountEnabled"]
        assert u.deleted is ("deletedDateTime" in record)
        assert [lic.sku_id for lic in u.assigned_licences] == [a["skuId"] for a in record["assignedLicenses"]]
        assert [lic.sku_part_number for lic in u.assigned_licences] == [
            part_numbers[a["skuId"]] for a in record["assignedLicenses"]
        ]
        last = (record.get("signInActivity") or {}).get("lastSuccessfulSignInDateTime")
        assert u.last_sign_in_at == (None if last is None else datetime.fromisoformat(last))


def test_graph_users_malformed_rows_are_reported_with_line_field_and_reason() -> None:
    options = Options(client_id="C-1001", extra={"observed_at": OBSERVED})
    result = importer.run(GraphUsers(options), [SAMPLES / "graph_users_malformed.json"])
    got = [(r.line, r.field, r.reason) for r in result.report.rejections]
    assert got == [
        (2, "accountEnabled", "'maybe' is not true/false"),
        (3, "userType", "'Admin' is not Member or Guest"),
        (
            4,
            "signInActivity.lastSuccessfulSignInDateTime",
            "'last tuesday' is not a date-time (expected ISO 8601)",
        ),
        (5, "id", "is missing"),
        (6, "assignedLicenses", "licence 1 has no skuId"),
        (
            8,
            "user_id",
            "'u-1' already appeared with different content at line 1; fix the export so each id appears once",
        ),
    ]
    assert result.report.duplicates == 1
    assert [e.data.user_id for e in result.envelopes] == ["u-1"]


def test_importing_twice_gives_the_same_ids() -> None:
    for run in (
        _pax8_json,
        lambda: importer.run(GraphSubscribedSkus(_graph_options()), [SAMPLES / "graph_subscribed_skus.json"]),
        _users,
    ):
        first, second = run(), run()
        assert [e.id for e in first.envelopes] == [e.id for e in second.envelopes]
        assert first.envelopes


def test_without_observed_at_the_import_date_is_the_observation_time() -> None:
    result = importer.run(GraphUsers(Options(client_id="C-1001")), [SAMPLES / "graph_users.json"])
    today = datetime.now(UTC).date()
    assert {e.time for e in result.envelopes} == {datetime(today.year, today.month, today.day, tzinfo=UTC)}


def test_cli_imports_pax8_and_graph_exports(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pax8.jsonl"
    result = runner.invoke(
        app,
        [
            "run",
            "pax8.subscriptions",
            str(SAMPLES / "pax8_subscriptions.json"),
            str(SAMPLES / "pax8_subscriptions.csv"),
            "--out",
            str(out),
            "--set",
            f"company_map={SAMPLES / 'company_map.csv'}",
            "--set",
            f"sku_map={SAMPLES / 'sku_map.csv'}",
            "--set",
            "vendor=Microsoft",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(list(eventlog.read(out))) == 9
    out = tmp_path / "skus.jsonl"
    args = ["run", "graph.subscribed-skus", str(SAMPLES / "graph_subscribed_skus_malformed.json")]
    args += ["--out", str(out), "--client", "C-1001", "--set", f"pax8={SAMPLES / 'pax8_subscriptions.json'}"]
    args += [
        "--set",
        f"company_map={SAMPLES / 'company_map.csv'}",
        "--set",
        f"sku_map={SAMPLES / 'sku_map.csv'}",
    ]
    args += ["--set", "vendor=Microsoft", "--set", f"observed_at={OBSERVED}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    with (tmp_path / "skus.jsonl.rejected.csv").open(newline="") as file:
        assert [int(r["line"]) for r in csv.DictReader(file)] == [2, 3, 4, 5, 7]
    out = tmp_path / "users.jsonl"
    result = runner.invoke(
        app,
        ["run", "graph.users", str(SAMPLES / "graph_users.json"), "--out", str(out), "--client", "C-1001"],
    )
    assert result.exit_code == 0, result.output
    assert {e.data.client_id for e in eventlog.read(out)} == {"C-1001"}
    result = runner.invoke(app, ["run", "graph.users", str(SAMPLES / "graph_users.json"), "--out", str(out)])
    assert result.exit_code == 1  # no --client: nothing imported, the reason is in the report
    assert "--client" in result.output


def _example(**extra: str) -> importer.ImportResult:
    settings = {"products": str(SAMPLES / "pax8_products.json"), **extra}
    return importer.run(
        Pax8Subscriptions(Options(extra=settings)), [SAMPLES / "pax8_subscriptions_example.json"]
    )


def test_pax8s_own_example_page_imports_every_row_with_the_cost_unknown() -> None:
    """Pax8's published ``subscriptions-paged`` example: no partnerCost, vendorSkuId or updatedDate."""
    result = _example()
    assert result.report.rejections == []
    records = _json("pax8_subscriptions_example.json")
    assert all("partnerCost" not in r and "vendorSkuId" not in r and "updatedDate" not in r for r in records)
    subscriptions = _subscriptions(result)
    assert sorted(subscriptions) == sorted(r["id"] for r in records)
    products = {p["id"]: p for p in _json("pax8_products.json")}
    for r in records:
        s = subscriptions[r["id"]]
        assert s.quantity == r["quantity"]  # the seats count
        assert s.unit_cost is None  # the cost is unknown, not zero
        assert s.unit_price.amount == Decimal(str(r["price"]))
        assert s.vendor == products[r["productId"]]["vendorName"]
        assert s.product_name == r["productName"]
        assert s.sku_id == products[r["productId"]].get("vendorSku", f"pax8-product:{r['productId']}")
        assert s.updated_at == datetime.fromisoformat(r["createdDate"]).replace(tzinfo=UTC)
    for envelope in result.envelopes:
        assert "unit_cost" not in envelope.model_dump(mode="json")["data"]


def test_the_cost_comes_from_pax8_pricing_when_the_subscription_has_none() -> None:
    subscriptions = _subscriptions(_example(pricing=str(SAMPLES / "pax8_pricing.json")))
    standard = subscriptions["09ac6f1d-c30a-4d03-9882-145a4df71735"]  # 5 seats, Monthly
    assert standard.unit_cost == standard.unit_price.model_copy(update={"amount": Decimal("13.2")})
    google = subscriptions["b010a5d2-d604-434d-b331-d1a3ae6e759e"]  # 8 seats: the 1-9 volume rate
    assert google.unit_cost is not None and google.unit_cost.amount == Decimal("5.4")
    assert subscriptions["ccfd1789-8f88-4c7c-9c10-d726f776c1dc"].unit_cost is None  # not priced


def test_a_price_list_csv_gives_the_cost(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "product_id,billing_term,partner_cost\nd0427628-5c3b-4258-b6f2-e6a3dfeb62ea,Monthly,27.50\n"
    )
    subscriptions = _subscriptions(_example(pricing=str(prices)))
    dropbox = subscriptions["ccfd1789-8f88-4c7c-9c10-d726f776c1dc"]
    assert dropbox.unit_cost is not None and dropbox.unit_cost.amount == Decimal("27.50")


def test_without_the_products_list_or_a_vendor_the_rows_name_the_settings() -> None:
    result = importer.run(Pax8Subscriptions(Options()), [SAMPLES / "pax8_subscriptions_example.json"])
    assert len(result.report.rejections) == 10
    assert {r.field for r in result.report.rejections} == {"vendorName"}
    assert all("--set products=FILE" in r.reason for r in result.report.rejections)
