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
    clients = run("autotask.companies", "companies.json")
    status = {1: "active", 3: "prospect"}
    for r in load("companies.json"):
        c = clients[str(r["id"])]
        assert c.name == r["companyName"]
        assert c.status == status[r["companyType"]]
        assert c.city == r["city"]
        assert c.postal_code == r.get("postalCode")
        assert c.country == "US"
        assert c.tier == r.get("classificationName")
        assert c.account_manager_id == (str(r["ownerResourceID"]) if "ownerResourceID" in r else None)
        assert c.created_on == day(r["createDate"])
        assert c.updated_at == ts(r["lastTrackedModifiedDateTime"])
    assert "0" in clients  # the MSP itself: internal time is charged to company 0


def test_contracts_with_services() -> None:
    contracts = run("autotask.contracts", "contracts.json", additions="contract_services.json")
    services = load("contract_services.json")
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
        mine = [s for s in services if s["contractID"] == r["id"]]
        assert [x.addition_id for x in a.additions] == [str(s["id"]) for s in mine]
        for got, s in zip(a.additions, mine, strict=True):
            assert got.product_id == str(s["serviceID"])
            assert got.description == s["invoiceDescription"]
            assert got.quantity == d(s["units"])
            assert got.unit_price.amount == d(s.get("adjustedPrice", s["unitPrice"]))
            assert got.unit_cost.amount == d(s["unitCost"])
            assert got.vendor_sku == s.get("vendorSku")
            assert got.effective_date == day(s["startDate"])
            assert got.cancelled_date == (day(s["endDate"]) if "endDate" in s else None)
    # inactive before its end date: cancelled on the day it was deactivated
    legacy = contracts["29684004"]
    assert (legacy.cancelled, legacy.cancelled_date) == (True, date(2025, 12, 31))
    assert not contracts["29684001"].cancelled


def test_resources() -> None:
    resources = run("autotask.resources", "resources.json", cost_history="cost_history.csv")
    for r in load("resources.json"):
        m = resources[str(r["id"])]
        assert m.name == f"{r['firstName']} {r['lastName']}"
        assert m.email == r["email"]
        assert m.work_role == r["title"]
        assert m.weekly_billable_hours_target == d(r["weeklyBillableHoursGoal"])
        assert m.daily_capacity_hours == 8
        assert m.cost_rates[-1].hourly_cost.amount == d(r["internalCost"])
        assert m.cost_rates[-1].effective_from == day(r.get("internalCostEffectiveDate") or r["hireDate"])
        assert m.active is r["isActive"]
    assert [r.hourly_cost.amount for r in resources["4"].cost_rates] == [d("44.00"), d("46.00"), d("48.0")]


def test_tickets() -> None:
    tickets = run("autotask.tickets", "tickets.json")
    priority = {4: "p1", 1: "p2", 2: "p3", 3: "p4"}
    status = {1: "new", 5: "closed", 8: "in_progress"}
    kind = {1: "service_request", 2: "incident", 5: "alert"}
    for r in load("tickets.json"):
        t = tickets[str(r["id"])]
        assert t.client_id == str(r["companyID"])
        assert t.agreement_id == str(r["contractID"])
        assert t.summary == r["title"]
        assert t.board == r["queueName"]
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
    entries = run("autotask.time-entries", "time_entries.json")
    for r in load("time_entries.json"):
        e = entries[str(r["id"])]
        assert e.client_id == str(r["companyID"])
        assert e.technician_id == str(r["resourceID"])
        assert e.ticket_id == (str(r["ticketID"]) if "ticketID" in r else None)
        assert e.agreement_id == (str(r["contractID"]) if "contractID" in r else None)
        assert e.work_date == day(r["dateWorked"])
        assert e.time_start == (ts(r["startDateTime"]) if "startDateTime" in r else None)
        assert e.hours == d(r["hoursWorked"])
        assert e.hours_billed == d(r["hoursToBill"])
        assert e.work_type == r["billingCodeName"]
        assert e.work_role == r.get("roleName")
        expected = "billable"
        if r["isNonBillable"]:
            expected = "no_charge" if r["showOnInvoice"] else "non_billable"
        assert e.billable_option == expected
        assert e.absence is (r["billingCodeName"] == "Holiday")
        assert e.notes == r.get("summaryNotes")


def test_invoices_with_billing_items() -> None:
    invoices = run("autotask.invoices", "invoices.json")
    types = {1: "labour", 3: "product", 6: "agreement_fee"}
    for r in load("invoices.json"):
        i = invoices[str(r["id"])]
        assert i.invoice_number == r["invoiceNumber"]
        assert i.client_id == str(r["companyID"])
        assert i.invoice_date == day(r["invoiceDateTime"])
        assert i.due_date == day(r["dueDate"])
        assert i.total.amount == d(r["invoiceTotal"])
        assert i.tax is not None and i.tax.amount == d(r["totalTaxValue"])
        for line, item in zip(i.lines, r["billingItems"], strict=True):
            assert line.description == item["itemName"]
            assert line.quantity == d(item["quantity"])
            assert line.unit_price.amount == d(item["rate"])
            assert line.amount.amount == d(item["extendedPrice"])
            assert line.agreement_id == (str(item["contractID"]) if "contractID" in item else None)
            assert (line.unit_cost.amount if line.unit_cost else None) == (
                d(item["ourCost"]) if "ourCost" in item else None
            )
            assert line.line_type == types[item["billingItemType"]]
