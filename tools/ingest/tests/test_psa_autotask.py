"""Autotask samples (REST ``items``): every row imports and every event field equals the source."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events.registry import spec_for

from msp_ingest import importer
from msp_ingest.kinds import ALL
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "psa" / "autotask"


def load(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((SAMPLES / name).read_text())["items"]
    return items


def run(kind: str, *files: str, **extra: str) -> dict[str, Any]:
    options = Options(currency="USD", extra={k: str(SAMPLES / v) for k, v in extra.items()})
    result = importer.run(ALL[kind].build(options), [SAMPLES / f for f in files])
    assert result.report.rejections == [], result.report.rejections
    assert result.report.rows_read == len(result.envelopes)
    return {spec_for(e.data).key_of(e.data): e.data for e in result.envelopes}


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def day(value: str) -> date:
    return date.fromisoformat(value[:10])


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_companies() -> None:
    clients = run("autotask.companies", "companies.json", picklists="companies_fields.json")
    status = {1: "active", 3: "prospect"}
    for r in load("companies.json"):
        c = clients[str(r["id"])]
        assert c.name == r["companyName"]
        assert c.status == status[r["companyType"]]
        assert c.city == r["city"]
        assert c.postal_code == r.get("postalCode")
        assert c.country is None  # REST has countryID (a reference), no country name or code
        assert "classificationName" not in r
        assert c.account_manager_id == (str(r["ownerResourceID"]) if "ownerResourceID" in r else None)
        assert c.created_on == day(r["createDate"])
        assert c.updated_at == ts(r["lastTrackedModifiedDateTime"])
    assert "0" in clients  # the MSP itself: internal time is charged to company 0


def test_contracts_with_services() -> None:
    contracts = run(
        "autotask.contracts",
        "contracts.json",
        additions="contract_services.json",
        service_units="contract_service_units.json",
        picklists="contracts_fields.json",
    )
    services = load("contract_services.json")
    units = load("contract_service_units.json")
    kinds = {7: "managed_services", 4: "block_hours", 1: "time_and_materials"}
    for r in load("contracts.json"):
        a = contracts[str(r["id"])]
        assert a.client_id == str(r["companyID"])
        assert a.name == r["contractName"]
        assert a.agreement_type == kinds[r["contractType"]]
        assert a.start_date == day(r["startDate"])
        assert a.end_date == day(r["endDate"])
        assert a.bill_amount.amount == 0  # Autotask bills recurring contracts through their services
        assert a.included_hours == (d(r["estimatedHours"]) if "estimatedHours" in r else None)
        assert (a.overage_rate.amount if a.overage_rate else None) == (
            d(r["overageBillingRate"]) if "overageBillingRate" in r else None
        )
        assert a.updated_at == ts(r["lastModifiedDateTime"])
        assert a.billing_cycle == "monthly"  # contractPeriodType 1 (Monthly in the picklist)
        mine = [s for s in services if s["contractID"] == r["id"]]
        assert [x.addition_id for x in a.additions] == [str(s["id"]) for s in mine]
        for got, s in zip(a.additions, mine, strict=True):
            assert got.product_id == str(s["serviceID"])
            assert got.description == s["invoiceDescription"]
            periods = sorted(
                (u for u in units if u["contractServiceID"] == s["id"]), key=lambda u: u["startDate"]
            )
            assert "units" not in s and "startDate" not in s  # REST ContractServices have neither
            assert got.quantity == d(periods[-1]["units"])  # the latest period's units
            assert got.unit_price.amount == d(s.get("adjustedPrice", s["unitPrice"]))
            assert got.unit_cost.amount == d(s["unitCost"])
            assert got.vendor_sku is None
            assert got.effective_date == day(periods[0]["startDate"])
    # inactive before its end date: cancelled on the day it was deactivated
    legacy = contracts["29684004"]
    assert (legacy.cancelled, legacy.cancelled_date) == (True, date(2025, 12, 31))
    assert not contracts["29684001"].cancelled


def test_resources() -> None:
    resources = run(
        "autotask.resources", "resources.json", cost_history="cost_history.csv", roles="roles.json"
    )
    roles = {r["id"]: r["name"] for r in load("roles.json")}
    for r in load("resources.json"):
        m = resources[str(r["id"])]
        assert m.name == f"{r['firstName']} {r['lastName']}"
        assert m.email == r["email"]
        assert m.work_role == (r["title"] if "title" in r else roles[r["defaultServiceDeskRoleID"]])
        assert m.weekly_billable_hours_target is None
        assert m.hourly_rate is None
        assert m.daily_capacity_hours == 8
        assert m.cost_rates[-1].hourly_cost.amount == d(r["internalCost"])
        assert m.active is r["isActive"]
    assert [r.hourly_cost.amount for r in resources["4"].cost_rates] == [d("44.00"), d("46.00"), d("48.0")]
    assert "title" not in load("resources.json")[2]


def test_tickets() -> None:
    tickets = run("autotask.tickets", "tickets.json", picklists="tickets_fields.json")
    queues = {"8": "Service Desk", "29682833": "Monitoring Alerts"}
    priority = {4: "p1", 1: "p2", 2: "p3", 3: "p4"}
    status = {1: "new", 5: "closed", 8: "in_progress"}
    kind = {1: "service_request", 2: "incident", 5: "alert"}
    for r in load("tickets.json"):
        t = tickets[str(r["id"])]
        assert t.client_id == str(r["companyID"])
        assert t.agreement_id == str(r["contractID"])
        assert t.summary == r["title"]
        assert t.board == queues[str(r["queueID"])]
        assert t.priority == priority[r["priority"]]
        assert t.status == status[r["status"]]
        assert t.ticket_type == kind[r["ticketType"]]
        assert t.opened_at == ts(r["createDate"])
        assert t.responded_at == (ts(r["firstResponseDateTime"]) if "firstResponseDateTime" in r else None)
        assert t.closed_at == (ts(r["completedDate"]) if "completedDate" in r else None)
        assert t.respond_by == (
            ts(r["firstResponseDueDateTime"]) if "firstResponseDueDateTime" in r else None
        )
        assert t.estimated_hours == (d(r["estimatedHours"]) if "estimatedHours" in r else None)
        assert t.updated_at == ts(r["lastActivityDate"])
    assert not tickets["7401"].sla_breached  # serviceLevelAgreementHasBeenMet
    assert tickets["7403"].sla_breached  # no flag: responded 15:10 after the 15:00 target


def test_time_entries() -> None:
    entries = run(
        "autotask.time-entries",
        "time_entries.json",
        tickets="tickets.json",
        contracts="contracts.json",
        billing_codes="billing_codes.json",
        roles="roles.json",
    )
    tickets = {t["id"]: t["companyID"] for t in load("tickets.json")}
    codes = {c["id"]: c["name"] for c in load("billing_codes.json")}
    roles = {r["id"]: r["name"] for r in load("roles.json")}
    for r in load("time_entries.json"):
        e = entries[str(r["id"])]
        assert "companyID" not in r  # REST time entries name no company
        assert e.client_id == str(tickets[r["ticketID"]] if "ticketID" in r else 0)
        assert e.technician_id == str(r["resourceID"])
        assert e.ticket_id == (str(r["ticketID"]) if "ticketID" in r else None)
        assert e.agreement_id == (str(r["contractID"]) if "contractID" in r else None)
        assert e.work_date == day(r["dateWorked"])
        assert e.time_start == (ts(r["startDateTime"]) if "startDateTime" in r else None)
        assert e.hours == d(r["hoursWorked"])
        assert e.hours_billed == d(r["hoursToBill"])
        assert e.work_type == codes[r["billingCodeID"]]
        assert e.work_role == (roles[r["roleID"]] if "roleID" in r else None)
        expected = "billable"
        if r["isNonBillable"]:
            expected = "no_charge" if r["showOnInvoice"] else "non_billable"
        assert e.billable_option == expected
        assert e.absence is (codes[r["billingCodeID"]] == "Holiday")
        assert e.notes == r.get("summaryNotes")


def test_invoices_with_billing_items() -> None:
    invoices = run(
        "autotask.invoices",
        "invoices.json",
        billing_items="billing_items.json",
        billing_item_picklists="billing_items_fields.json",
    )
    types = {1: "labour", 3: "product", 6: "agreement_fee"}
    items = load("billing_items.json")
    for r in load("invoices.json"):
        assert "billingItems" not in r  # REST invoices embed no lines
        i = invoices[str(r["id"])]
        assert i.invoice_number == r["invoiceNumber"]
        assert i.client_id == str(r["companyID"])
        assert i.invoice_date == day(r["invoiceDateTime"])
        assert i.due_date == day(r["dueDate"])
        assert i.total.amount == d(r["invoiceTotal"])
        assert i.tax is not None and i.tax.amount == d(r["totalTaxValue"])
        mine = [item for item in items if item["invoiceID"] == r["id"]]
        assert len(i.lines) == len(mine)
        for line, item in zip(i.lines, mine, strict=True):
            assert line.description == item["itemName"]
            assert line.quantity == d(item["quantity"])
            assert line.unit_price.amount == d(item["rate"])
            assert line.amount.amount == d(item["extendedPrice"])
            assert line.agreement_id == (str(item["contractID"]) if "contractID" in item else None)
            assert (line.unit_cost.amount if line.unit_cost else None) == (
                d(item["ourCost"]) if "ourCost" in item else None
            )
            assert line.line_type == types[item["billingItemType"]]


def write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"items": items, "pageDetails": {"count": len(items), "requestCount": 500}}))
    return path


def test_time_entry_company_comes_from_the_ticket_else_the_contract(tmp_path: Path) -> None:
    entries = load("time_entries.json")
    contract_only = {**entries[0], "id": 88901}
    del contract_only["ticketID"]
    unknown_ticket = {**entries[0], "id": 88902, "ticketID": 9999}
    task = {**entries[4], "id": 88903, "taskID": 55}
    path = write(tmp_path / "entries.json", [contract_only, unknown_ticket, task])
    options = Options(
        currency="USD",
        extra={"tickets": str(SAMPLES / "tickets.json"), "contracts": str(SAMPLES / "contracts.json")},
    )
    result = importer.run(ALL["autotask.time-entries"].build(options), [path])
    assert [e.data.client_id for e in result.envelopes] == ["174"]  # contract 29684001's company
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (2, "ticketID", "the company of ticket '9999' is not known: the tickets export names it"),
        (3, "taskID", "project task time without a contract: export companyID with the entry"),
    ]


def test_contract_period_type_integers_without_a_picklist(tmp_path: Path) -> None:
    contracts = load("contracts.json")
    rows = [{**contracts[0], "id": 1000 + n, "contractPeriodType": n} for n in (1, 2, 3, 4)]
    result = importer.run(
        ALL["autotask.contracts"].build(Options(currency="USD")), [write(tmp_path / "c.json", rows)]
    )
    assert result.report.rejections == []
    cycles = {e.data.agreement_id: e.data.billing_cycle for e in result.envelopes}
    assert [cycles[str(1000 + n)] for n in (1, 2, 3, 4)] == ["monthly", "quarterly", "semi_annual", "annual"]


def test_an_instances_own_picklist_values_are_read_by_their_labels(tmp_path: Path) -> None:
    fields = json.loads((SAMPLES / "tickets_fields.json").read_text())
    for field in fields["fields"]:
        if field["name"] == "priority":
            field["picklistValues"].append({"value": "6", "label": "P1 - Emergency", "isActive": True})
        if field["name"] == "status":
            field["picklistValues"].append(
                {"value": "17", "label": "Waiting on Vendor RMA", "isActive": True}
            )
    (tmp_path / "fields.json").write_text(json.dumps(fields))
    ticket = {**load("tickets.json")[1], "priority": 6, "status": 17}
    options = Options(currency="USD", extra={"picklists": str(tmp_path / "fields.json")})
    result = importer.run(ALL["autotask.tickets"].build(options), [write(tmp_path / "t.json", [ticket])])
    assert result.report.rejections == []
    (t,) = [e.data for e in result.envelopes]
    assert (t.priority, t.status, t.board) == ("p1", "waiting", "Service Desk")
    without = importer.run(ALL["autotask.tickets"].build(Options(currency="USD")), [tmp_path / "t.json"])
    assert [(r.field, r.reason.split(";")[0]) for r in without.report.rejections] == [
        ("priority", "'6' is not a known priority")
    ]


def test_billing_items_of_an_invoice_not_exported_are_rejected_at_their_line(tmp_path: Path) -> None:
    items = [*load("billing_items.json"), {**load("billing_items.json")[0], "id": 9999, "invoiceID": 777}]
    options = Options(currency="USD", extra={"billing_items": str(write(tmp_path / "items.json", items))})
    result = importer.run(ALL["autotask.invoices"].build(options), [SAMPLES / "invoices.json"])
    assert [(Path(r.file).name, r.line, r.field, r.reason) for r in result.report.rejections] == [
        ("items.json", 5, "invoiceID", "invoice '777' is not in the invoices export")
    ]
    assert sorted(e.data.invoice_id for e in result.envelopes) == ["312", "313"]


def test_a_resource_without_title_or_role_names_the_settings() -> None:
    options = Options(currency="USD", extra={"cost_history": str(SAMPLES / "cost_history.csv")})
    result = importer.run(ALL["autotask.resources"].build(options), [SAMPLES / "resources.json"])
    assert [(r.line, r.field) for r in result.report.rejections] == [(3, "title")]
    assert "--set roles=FILE" in result.report.rejections[0].reason
    named = Options(currency="USD", extra={"default_work_role": "Engineer"})
    result = importer.run(ALL["autotask.resources"].build(named), [SAMPLES / "resources.json"])
    assert result.report.rejections == []
    assert {e.data.work_role for e in result.envelopes if e.data.technician_id == "6"} == {"Engineer"}
