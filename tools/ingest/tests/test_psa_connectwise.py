"""ConnectWise PSA samples: every row imports and every event field equals the source value."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events.registry import spec_for

from msp_ingest import importer
from msp_ingest.kinds import ALL
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "psa" / "connectwise"


def load(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((SAMPLES / name).read_text())
    return records


def run(kind: str, *files: str, **extra: str) -> dict[str, Any]:
    options = Options(currency="USD", extra={k: str(SAMPLES / v) for k, v in extra.items()})
    result = importer.run(ALL[kind].build(options), [SAMPLES / f for f in files])
    assert result.report.rejections == [], result.report.rejections
    assert result.report.rows_read == len({e.id for e in result.envelopes})
    return {spec_for(e.data).key_of(e.data): e.data for e in result.envelopes}


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def day(value: str) -> date:
    return date.fromisoformat(value[:10])


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_companies() -> None:
    clients = run("connectwise.companies", "companies.json")
    records = load("companies.json")
    assert sorted(clients) == sorted(str(r["id"]) for r in records)
    status = {"Owner": "active", "Client": "active", "Prospect": "prospect"}
    for r in records:
        c = clients[str(r["id"])]
        assert c.name == r["name"]
        assert c.status == status[r["types"][0]["name"]]
        assert c.city == r["city"]
        assert c.state == r["state"]
        assert c.postal_code == r.get("zip")
        assert c.address_line1 == r.get("addressLine1")
        assert c.country == "US"
        assert c.industry == r.get("market", {}).get("name")
        assert c.employee_count == r["numberOfEmployees"]
        assert c.created_on == day(r["dateAcquired"])
        assert c.updated_at == ts(r["_info"]["lastUpdated"])
        assert c.currency == r.get("currency", {}).get("currencyCode", "USD")


def test_agreements_with_additions_from_a_separate_file() -> None:
    agreements = run("connectwise.agreements", "agreements.json", additions="additions.json")
    additions = load("additions.json")
    kinds = {"Managed Services": "managed_services", "Block Time": "block_hours", "T&M": "time_and_materials"}
    for r in load("agreements.json"):
        a = agreements[str(r["id"])]
        assert a.client_id == str(r["company"]["id"])
        assert a.name == r["name"]
        assert a.agreement_type == kinds[r["type"]["name"]]
        assert a.start_date == day(r["startDate"])
        assert a.end_date == (None if r["noEndingDateFlag"] else day(r["endDate"]))
        assert a.bill_amount.amount == d(r["billAmount"])
        assert a.bill_amount.currency == "USD"
        hours = d(r["applicationLimit"]) if r.get("applicationUnits") == "Hours" else None
        assert a.included_hours == hours
        assert a.covers_labour == r.get("coverAgreementTime")
        assert a.carry_over_unused == r.get("carryOverUnused")
        assert a.cancelled == r["cancelledFlag"]
        assert a.cancelled_date == (day(r["dateCancelled"]) if "dateCancelled" in r else None)
        assert a.cancellation_reason == r.get("reasonCancelled")
        assert a.hourly_rate == (None if "hourlyRate" not in r else a.hourly_rate)
        assert a.opportunity_id == (str(r["opportunity"]["id"]) if "opportunity" in r else None)
        mine = [x for x in additions if x["agreementId"] == r["id"]]
        assert [x.addition_id for x in a.additions] == [str(x["id"]) for x in mine]
        for got, x in zip(a.additions, mine, strict=True):
            assert got.product_id == x["product"]["identifier"]
            assert got.description == x["description"]
            assert got.quantity == d(x["quantity"])
            assert got.unit_price.amount == d(x["unitPrice"])
            assert got.unit_cost.amount == d(x["unitCost"])
            assert got.vendor_sku is None  # an addition has no vendor SKU in the API
            assert got.effective_date == day(x["effectiveDate"])
            assert got.cancelled_date == (day(x["cancelledDate"]) if "cancelledDate" in x else None)
            assert got.bill_customer == {"Billable": "billable", "NoCharge": "no_charge"}[x["billCustomer"]]


def test_an_addition_without_its_agreement_is_rejected_at_its_own_line(tmp_path: Path) -> None:
    extra = tmp_path / "additions.csv"
    extra.write_text(
        "agreementId,product_identifier,quantity,unitPrice,unitCost\n"
        "101,M365-E3,5,36.00,30.00\n"
        "999,M365-E3,5,36.00,30.00\n"
    )
    options = Options(currency="USD", extra={"additions": str(extra)})
    result = importer.run(ALL["connectwise.agreements"].build(options), [SAMPLES / "agreements.json"])
    assert [(Path(r.file).name, r.line, r.field, r.reason) for r in result.report.rejections] == [
        ("additions.csv", 3, "agreementId", "agreement '999' is not in the agreements export")
    ]
    harbor = next(e.data for e in result.envelopes if e.data.agreement_id == "101")
    assert [a.product_id for a in harbor.additions] == ["M365-E3"]


def test_members_with_effective_dated_costs() -> None:
    members = run("connectwise.members", "members.json", cost_history="cost_history.csv")
    for r in load("members.json"):
        m = members[str(r["id"])]
        assert m.name == f"{r['firstName']} {r['lastName']}"
        assert m.email == r["officeEmail"]
        assert m.work_role == r["workRole"]["name"]
        assert m.time_zone == "America/Los_Angeles"
        assert m.daily_capacity_hours == d(r["dailyCapacity"])
        assert m.hourly_rate is not None and m.hourly_rate.amount == d(r["hourlyRate"])
        assert m.active is not r["inactiveFlag"]
        current = m.cost_rates[-1]
        assert current.hourly_cost.amount == d(r["hourlyCost"])
        assert "hourlyCostEffectiveDate" not in r  # a Member has no such field: the history dates it
        history_dates = {"178": date(2026, 1, 1)}
        assert current.effective_from == history_dates.get(str(r["id"]), day(r["hireDate"]))
        assert current.effective_to is None
    with (SAMPLES / "cost_history.csv").open(newline="") as file:
        history = list(csv.DictReader(file))
    alex = members["178"].cost_rates
    assert [(r.effective_from, r.effective_to, r.hourly_cost.amount) for r in alex] == [
        (day(history[0]["effectiveFrom"]), date(2024, 12, 31), d(history[0]["hourlyCost"])),
        (day(history[1]["effectiveFrom"]), date(2025, 12, 31), d(history[1]["hourlyCost"])),
        (date(2026, 1, 1), None, Decimal("48.0")),
    ]


def test_tickets() -> None:
    tickets = run("connectwise.tickets", "tickets.json")
    priority = {"1": "p1", "2": "p2", "3": "p3", "4": "p4"}
    status = {"Completed": "resolved", "In Progress": "in_progress", "Closed": "closed", "New": "new"}
    for r in load("tickets.json"):
        t = tickets[str(r["id"])]
        assert t.client_id == str(r["company"]["id"])
        assert t.agreement_id == str(r["agreement"]["id"])
        assert t.summary == r["summary"]
        assert t.board == r["board"]["name"]
        assert t.priority == priority[r["priority"]["name"].split()[1]]
        assert t.status == status[r["status"]["name"]]
        assert t.opened_at == ts(r["_info"]["dateEntered"])
        assert t.updated_at == ts(r["_info"]["lastUpdated"])
        assert t.responded_at == (ts(r["dateResponded"]) if "dateResponded" in r else None)
        assert t.closed_at == (ts(r["closedDate"]) if "closedDate" in r else None)
        assert t.sla_breached is (r.get("isInSla") is False)
        assert t.estimated_hours == (d(r["budgetHours"]) if "budgetHours" in r else None)
        assert t.actual_hours == (d(r["actualHours"]) if "actualHours" in r else None)
        assert t.assigned_technician_id == (str(r["owner"]["id"]) if "owner" in r else None)
    assert tickets["5004"].ticket_type == "alert"
    assert tickets["5002"].ticket_type == "service_request"


def test_time_entries() -> None:
    entries = run("connectwise.time-entries", "time_entries.json", work_types="work_types.json")
    work_types = {w["id"]: w for w in load("work_types.json")}
    option = {
        "Billable": "billable",
        "NoDefault": "billable",
        "DoNotBill": "non_billable",
        "NoCharge": "no_charge",
    }
    for r in load("time_entries.json"):
        e = entries[str(r["id"])]
        assert e.client_id == str(r["company"]["id"])
        assert e.technician_id == str(r["member"]["id"])
        assert e.agreement_id == (str(r["agreement"]["id"]) if "agreement" in r else None)
        is_ticket = r["chargeToType"] == "ServiceTicket"
        assert e.ticket_id == (str(r["chargeToId"]) if is_ticket else None)
        assert e.time_start == ts(r["timeStart"])
        assert e.time_end == ts(r["timeEnd"])
        assert e.work_date == day(r["timeStart"])
        assert e.hours == d(r["actualHours"])
        assert e.work_type == r["workType"]["name"]
        assert e.work_role == r.get("workRole", {}).get("name")
        assert e.billable_option == option[r["billableOption"]]
        assert e.hours_billed == d(r["hoursBilled"])
        assert e.hours_deducted == (d(r["hoursDeduct"]) if "hoursDeduct" in r else None)
        rate = r.get("hourlyRate") if e.billable_option == "billable" else None
        assert (e.hourly_rate.amount if e.hourly_rate else None) == (d(rate) if rate is not None else None)
        assert set(r["workType"]) == {"id", "name"}  # the reference carries no multiplier
        assert e.work_type_cost_multiplier == d(work_types[r["workType"]["id"]]["costMultiplier"])
        assert e.absence is (r["workType"]["name"] == "PTO")
        assert e.notes == r.get("notes")


def test_work_type_multiplier_and_work_date_time_zone_come_from_settings() -> None:
    options = Options(
        currency="USD",
        extra={
            "cost_multiplier.Onsite": "1.25",
            "timezone": "America/Los_Angeles",
            "work_types": str(SAMPLES / "work_types.json"),
        },
    )
    result = importer.run(ALL["connectwise.time-entries"].build(options), [SAMPLES / "time_entries.json"])
    by_id = {e.data.time_entry_id: e.data for e in result.envelopes}
    assert by_id["9003"].work_type_cost_multiplier == Decimal("1.25")  # --set wins over the file
    assert by_id["9005"].work_type_cost_multiplier == Decimal("1.5")  # After Hours in time/workTypes
    assert by_id["9005"].work_date == date(2026, 1, 8)  # 23:30 UTC is the afternoon in Seattle
    assert by_id["9008"].work_date == date(2026, 1, 11)


def test_without_a_work_type_file_or_setting_the_multiplier_is_unknown() -> None:
    entries = run("connectwise.time-entries", "time_entries.json")
    assert {e.work_type_cost_multiplier for e in entries.values()} == {None}


def test_a_windows_time_zone_setting_gives_the_local_work_date() -> None:
    options = Options(currency="USD", extra={"timezone": "Pacific Standard Time"})
    result = importer.run(ALL["connectwise.time-entries"].build(options), [SAMPLES / "time_entries.json"])
    by_id = {e.data.time_entry_id: e.data for e in result.envelopes}
    assert by_id["9005"].work_date == date(2026, 1, 8)


def test_no_default_billable_option_is_billable_unless_mapped() -> None:
    entries = run("connectwise.time-entries", "time_entries.json")
    assert entries["9003"].billable_option == "billable"
    assert entries["9003"].hours_billed == Decimal("3.0")
    options = Options(currency="USD", extra={"billable_option.NoDefault": "no_charge"})
    result = importer.run(ALL["connectwise.time-entries"].build(options), [SAMPLES / "time_entries.json"])
    by_id = {e.data.time_entry_id: e.data for e in result.envelopes}
    assert by_id["9003"].billable_option == "no_charge"


def test_invoices_from_header_totals_and_from_line_rows() -> None:
    invoices = run("connectwise.invoices", "invoices.json", "invoice_lines.csv")
    totals = {"agreementAmount": "agreement_fee", "serviceTotal": "labour", "productTotal": "product"}
    for r in load("invoices.json"):
        i = invoices[str(r["id"])]
        assert i.invoice_number == r["invoiceNumber"]
        assert i.client_id == str(r["company"]["id"])
        assert i.invoice_date == day(r["date"])
        assert i.due_date == day(r["dueDate"])
        assert i.currency == r["currency"]["currencyCode"]
        assert i.total.amount == d(r["total"])
        assert i.tax is not None and i.tax.amount == d(r["salesTax"])
        expected = [(kind, d(r[name])) for name, kind in totals.items() if r[name]]
        assert [(line.line_type, line.amount.amount) for line in i.lines] == expected
        agreement = str(r["applyToId"]) if r["applyToType"] == "Agreement" else None
        assert all(line.agreement_id == agreement for line in i.lines if line.line_type == "agreement_fee")
    with (SAMPLES / "invoice_lines.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    for invoice_id in {r["id"] for r in rows}:
        mine = [r for r in rows if r["id"] == invoice_id]
        i = invoices[invoice_id]
        assert i.total.amount == d(mine[0]["total"])
        assert i.client_id == mine[0]["company_id"]
        assert len(i.lines) == len(mine)
        for line, r in zip(i.lines, mine, strict=True):
            assert line.description == r["description"]
            assert line.quantity == d(r["quantity"])
            assert line.unit_price.amount == d(r["unitPrice"])
            assert line.amount.amount == d(r["amount"])
            assert line.unit_cost == (None if not r["unitCost"] else line.unit_cost)
            assert line.product_id == (r["productId"] or None)
            assert line.vendor_sku == (r["vendorSku"] or None)
            assert line.agreement_id == (r["agreementId"] or None)
            assert line.period_start == (day(r["periodStart"]) if r["periodStart"] else None)
    # the inference: explicit type, a product with a vendor SKU is a licence
    assert [line.line_type for line in invoices["7101"].lines] == [
        "agreement_fee",
        "licence",
        "agreement_fee",
    ]
    assert [line.line_type for line in invoices["7102"].lines] == ["labour", "product"]


def test_payments() -> None:
    payments = run("connectwise.payments", "payments.json", invoices="invoices.json")
    invoices = {r["id"]: r for r in load("invoices.json")}
    method = {"ACH": "ach", "Check": "check", "Credit Card": "card"}
    for r in load("payments.json"):
        p = payments[str(r["id"])]
        assert "company" not in r  # a real payment names only its invoice
        assert p.invoice_id == str(r["invoice"]["id"])
        assert p.client_id == str(invoices[r["invoice"]["id"]]["company"]["id"])
        assert p.amount.currency == invoices[r["invoice"]["id"]]["currency"]["currencyCode"]
        assert p.received_on == day(r["paymentDate"])
        assert p.amount.amount == d(r["amount"])
        assert p.method == method[r["type"]]


def test_a_bad_cost_history_row_rejects_its_member_with_the_history_line(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "memberId,effectiveFrom,hourlyCost\n178,2024-03-01,44.00\n180,2024-13-01,58.00\n178,2026-01-01,47.00\n"
    )
    options = Options(currency="USD", extra={"cost_history": str(history)})
    result = importer.run(ALL["connectwise.members"].build(options), [SAMPLES / "members.json"])
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (
            1,
            "hourlyCost",
            "48.0 USD has no effective date and the cost history's latest rate is 47.00 USD from "
            "2026-01-01: add the date it took effect to the cost history",
        ),
        (
            3,
            "effectiveFrom",
            "'2024-13-01' is not a date (expected YYYY-MM-DD or MM/DD/YYYY) "
            "(cost history at history.csv line 3)",
        ),
    ]
    assert [e.data.technician_id for e in result.envelopes] == ["179"]


def test_payments_without_the_invoices_export_are_rejected_naming_the_setting() -> None:
    result = importer.run(
        ALL["connectwise.payments"].build(Options(currency="USD")), [SAMPLES / "payments.json"]
    )
    assert result.envelopes == []
    assert {(r.line, r.field) for r in result.report.rejections} == {
        (1, "company/id"),
        (2, "company/id"),
        (3, "company/id"),
    }
    assert all("--set invoices=FILE" in r.reason for r in result.report.rejections)


def test_a_payment_for_an_invoice_not_in_the_invoices_export_is_rejected(tmp_path: Path) -> None:
    invoices = tmp_path / "invoices.json"
    invoices.write_text(json.dumps([r for r in load("invoices.json") if r["id"] != 7002]))
    options = Options(currency="USD", extra={"invoices": str(invoices)})
    result = importer.run(ALL["connectwise.payments"].build(options), [SAMPLES / "payments.json"])
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (2, "invoice/id", f"invoice '7002' is not in the invoices export {invoices}")
    ]
    assert sorted(e.data.client_id for e in result.envelopes) == ["250", "251"]


def test_additions_take_their_agreements_currency(tmp_path: Path) -> None:
    agreements = load("agreements.json")[:1]
    agreements[0]["currency"] = {"id": 2, "symbol": "€", "currencyCode": "EUR"}
    (tmp_path / "agreements.json").write_text(json.dumps(agreements))
    for currency in (None, "USD"):
        options = Options(currency=currency, extra={"additions": str(SAMPLES / "additions.json")})
        result = importer.run(ALL["connectwise.agreements"].build(options), [tmp_path / "agreements.json"])
        assert [r.line for r in result.report.rejections] == [3, 4]  # other agreements' additions
        (agreement,) = [e.data for e in result.envelopes]
        assert agreement.bill_amount.currency == "EUR"
        assert [a.unit_price.currency for a in agreement.additions] == ["EUR", "EUR"]
        assert [a.unit_cost.currency for a in agreement.additions] == ["EUR", "EUR"]


def test_parent_agreement_is_read_from_the_reference(tmp_path: Path) -> None:
    agreements = load("agreements.json")
    child = {**agreements[0], "id": 109, "parentAgreement": {"id": 101, "name": agreements[0]["name"]}}
    (tmp_path / "agreements.json").write_text(json.dumps([*agreements, child]))
    result = importer.run(
        ALL["connectwise.agreements"].build(Options(currency="USD")), [tmp_path / "agreements.json"]
    )
    by_id = {e.data.agreement_id: e.data for e in result.envelopes}
    assert by_id["109"].parent_agreement_id == "101"
    assert by_id["101"].parent_agreement_id is None


def test_countries_and_time_zones_by_any_iso_or_windows_name(tmp_path: Path) -> None:
    companies = load("companies.json")[:1]
    rows = [
        {**companies[0], "id": 900 + n, "country": {"id": n, "name": name}}
        for n, name in enumerate(["Germany", "DEU", "United Kingdom", "UK", "Korea, Republic of", "Viet Nam"])
    ]
    (tmp_path / "companies.json").write_text(json.dumps(rows))
    result = importer.run(
        ALL["connectwise.companies"].build(Options(currency="USD")), [tmp_path / "companies.json"]
    )
    assert result.report.rejections == []
    by_id = {e.data.client_id: e.data.country for e in result.envelopes}
    assert [by_id[str(900 + n)] for n in range(6)] == ["DE", "DE", "GB", "GB", "KR", "VN"]
    members = load("members.json")[:1]
    zones = [
        "W. Europe Standard Time",
        "AUS Eastern Standard Time",
        "India Standard Time",
        "Asia/Kolkata",
        "europe/berlin",
    ]
    rows = [{**members[0], "id": 700 + n, "timeZone": {"id": n, "name": z}} for n, z in enumerate(zones)]
    (tmp_path / "members.json").write_text(json.dumps(rows))
    result = importer.run(
        ALL["connectwise.members"].build(Options(currency="USD")), [tmp_path / "members.json"]
    )
    assert result.report.rejections == []
    got = {e.data.technician_id: e.data.time_zone for e in result.envelopes}
    assert [got[str(700 + n)] for n in range(5)] == [
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Calcutta",
        "Asia/Kolkata",
        "Europe/Berlin",
    ]
