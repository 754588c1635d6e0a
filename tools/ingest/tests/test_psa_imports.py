"""PSA imports as a whole: ids agree across entities, malformed exports are reported line by line,
re-imports keep their ids, and the CLI runs a kind."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from msp_events import eventlog

from msp_ingest import importer
from msp_ingest.cli import app
from msp_ingest.kinds import ALL
from msp_ingest.options import Options

PSA = Path(__file__).resolve().parents[1] / "samples" / "psa"

# vendor → (kind, files, settings) per entity
VENDORS: dict[str, dict[str, tuple[str, list[str], dict[str, str]]]] = {
    "connectwise": {
        "clients": ("connectwise.companies", ["companies.json"], {}),
        "agreements": ("connectwise.agreements", ["agreements.json"], {"additions": "additions.json"}),
        "technicians": ("connectwise.members", ["members.json"], {"cost_history": "cost_history.csv"}),
        "tickets": ("connectwise.tickets", ["tickets.json"], {}),
        "time": ("connectwise.time-entries", ["time_entries.json"], {"work_types": "work_types.json"}),
        "invoices": ("connectwise.invoices", ["invoices.json", "invoice_lines.csv"], {}),
        "payments": ("connectwise.payments", ["payments.json"], {"invoices": "invoices.json"}),
    },
    "autotask": {
        "clients": ("autotask.companies", ["companies.json"], {"picklists": "companies_fields.json"}),
        "agreements": (
            "autotask.contracts",
            ["contracts.json"],
            {
                "additions": "contract_services.json",
                "service_units": "contract_service_units.json",
                "picklists": "contracts_fields.json",
            },
        ),
        "technicians": (
            "autotask.resources",
            ["resources.json"],
            {"cost_history": "cost_history.csv", "roles": "roles.json"},
        ),
        "tickets": ("autotask.tickets", ["tickets.json"], {"picklists": "tickets_fields.json"}),
        "time": (
            "autotask.time-entries",
            ["time_entries.json"],
            {
                "tickets": "tickets.json",
                "contracts": "contracts.json",
                "billing_codes": "billing_codes.json",
                "roles": "roles.json",
            },
        ),
        "invoices": (
            "autotask.invoices",
            ["invoices.json"],
            {"billing_items": "billing_items.json", "billing_item_picklists": "billing_items_fields.json"},
        ),
    },
    "halo": {
        "clients": ("halo.clients", ["clients.csv"], {}),
        "agreements": ("halo.contracts", ["contracts.csv"], {"lookup": "lookup.csv"}),
        "technicians": ("halo.agents", ["agents.csv"], {}),
        "tickets": ("halo.tickets", ["tickets.csv"], {}),
        "time": ("halo.time-entries", ["actions.csv"], {"lookup": "lookup.csv"}),
        "invoices": ("halo.invoices", ["invoices.csv"], {}),
    },
}


def imported(vendor: str, entity: str) -> importer.ImportResult:
    kind, files, settings = VENDORS[vendor][entity]
    options = Options(currency="USD", extra={k: str(PSA / vendor / v) for k, v in settings.items()})
    return importer.run(ALL[kind].build(options), [PSA / vendor / f for f in files])


def data(vendor: str, entity: str) -> list[Any]:
    result = imported(vendor, entity)
    assert result.report.rejections == []
    return [e.data for e in result.envelopes]


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_every_reference_points_at_an_imported_entity(vendor: str) -> None:
    clients = {c.client_id for c in data(vendor, "clients")}
    agreements = {a.agreement_id: a for a in data(vendor, "agreements")}
    technicians = {t.technician_id for t in data(vendor, "technicians")}
    tickets = {t.ticket_id: t for t in data(vendor, "tickets")}
    entries = data(vendor, "time")
    assert entries
    for e in entries:
        assert e.client_id in clients, e
        assert e.technician_id in technicians, e
        assert e.agreement_id is None or e.agreement_id in agreements, e
        if e.agreement_id is not None:
            assert agreements[e.agreement_id].client_id == e.client_id, e
        if e.ticket_id is not None:
            assert e.ticket_id in tickets, e
            assert tickets[e.ticket_id].client_id == e.client_id, e
    for a in agreements.values():
        assert a.client_id in clients
    for t in tickets.values():
        assert t.client_id in clients
        assert t.agreement_id is None or agreements[t.agreement_id].client_id == t.client_id
        assert t.assigned_technician_id is None or t.assigned_technician_id in technicians
    for i in data(vendor, "invoices"):
        assert i.client_id in clients
        for line in i.lines:
            assert line.agreement_id is None or agreements[line.agreement_id].client_id == i.client_id
    if "payments" in VENDORS[vendor]:
        invoices = {i.invoice_id: i for i in data(vendor, "invoices")}
        for p in data(vendor, "payments"):
            assert invoices[p.invoice_id].client_id == p.client_id


@pytest.mark.parametrize(("vendor", "entity"), [(v, e) for v in sorted(VENDORS) for e in VENDORS[v]])
def test_importing_twice_gives_identical_ids(vendor: str, entity: str) -> None:
    first, second = imported(vendor, entity), imported(vendor, entity)
    assert first.envelopes
    assert [e.id for e in first.envelopes] == [e.id for e in second.envelopes]
    assert [e.time for e in first.envelopes] == [e.time for e in second.envelopes]


SAME_ID = "already appeared with different content at line {}; fix the export so each id appears once"


def report(kind: str, path: Path) -> importer.ImportResult:
    return importer.run(ALL[kind].build(Options(currency="USD")), [path])


def test_connectwise_malformed_time_entries() -> None:
    result = report("connectwise.time-entries", PSA / "connectwise" / "time_entries_malformed.csv")
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (3, "timeStart", "'2026-01-32T09:00:00Z' is not a date-time (expected ISO 8601)"),
        (4, "actualHours", "-1.5 is below 0"),
        (5, "id", "is missing"),
        (6, "member_id", "is missing"),
        (
            7,
            "billableOption",
            "'Sometimes' is not a known billable option; map it with "
            '--set "billable_option.Sometimes=VALUE" (VALUE one of billable, non_billable, no_charge)',
        ),
        (
            9,
            "time_entry_id",
            "'9101' " + SAME_ID.format(2),
        ),
    ]
    assert [e.data.time_entry_id for e in result.envelopes] == ["9101"]
    assert result.report.duplicates == 1  # line 8 repeats line 2 exactly: written once
    assert result.report.rows_read == 8


def test_connectwise_malformed_invoices() -> None:
    result = report("connectwise.invoices", PSA / "connectwise" / "invoices_malformed.json")
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (2, "currency/currencyCode", "unknown currency 'USX': use an ISO 4217 code such as USD, EUR or GBP"),
        (3, "dueDate", "2026-03-01 is before the invoice date 2026-04-01"),
        (4, "total", "450.0 is not the lines' 450.0 plus tax 10.0"),
        (5, "company/id", "is missing"),
        (
            7,
            "invoice_id",
            "'7201' " + SAME_ID.format(1),
        ),
    ]
    assert [e.data.invoice_id for e in result.envelopes] == ["7201"]
    assert result.report.duplicates == 1


def test_autotask_malformed_time_entries() -> None:
    result = report("autotask.time-entries", PSA / "autotask" / "time_entries_malformed.json")
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (2, "dateWorked", "'20/01/2026' is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"),
        (3, "hoursToBill", "-1.0 is below 0"),
        (4, "resourceID", "is missing"),
        (
            5,
            "ticketID",
            "the company of ticket '7403' is not known: no tickets export (--set tickets=FILE) names it",
        ),
        (6, "hoursWorked", "26 hours in one entry is more than a day"),
        (
            8,
            "time_entry_id",
            "'88101' " + SAME_ID.format(1),
        ),
    ]
    assert [e.data.time_entry_id for e in result.envelopes] == ["88101"]
    assert result.report.duplicates == 1


def test_halo_malformed_actions() -> None:
    result = report("halo.time-entries", PSA / "halo" / "actions_malformed.csv")
    assert [(r.line, r.field, r.reason) for r in result.report.rejections] == [
        (3, "whe_", "'2026-02-30 15:00:00' is not a date-time (expected ISO 8601)"),
        (4, "timetaken", "-0.5 is below 0"),
        (5, "currency", "unknown currency 'EURO': use an ISO 4217 code such as USD, EUR or GBP"),
        (6, "Areaint", "is missing"),
        (
            8,
            "time_entry_id",
            "'3021-5' " + SAME_ID.format(2),
        ),
    ]
    assert [e.data.time_entry_id for e in result.envelopes] == ["3021-5"]
    assert result.report.duplicates == 1


def test_amounts_without_a_currency_are_rejected_not_assumed() -> None:
    result = importer.run(ALL["halo.contracts"].build(Options()), [PSA / "halo" / "contracts.csv"])
    assert {(r.field, r.reason) for r in result.report.rejections} == {
        ("CHPeriodChargeAmount", "has no currency: give a currency column or --currency")
    }
    assert result.envelopes == []


def test_an_unknown_code_can_be_mapped_with_set(tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"
    path.write_text(
        "CHid,CHarea,CHcontractRef,CHstartdate,CHPeriodChargeAmount\n"
        "31,12,Office move project,2026-02-01,9000\n"
    )
    plain = importer.run(ALL["halo.contracts"].build(Options(currency="USD")), [path])
    assert plain.envelopes[0].data.agreement_type == "managed_services"  # inferred from the fee
    options = Options(currency="USD", extra={"agreement_type.Office move project": "project"})
    mapped = importer.run(ALL["halo.contracts"].build(options), [path])
    assert mapped.envelopes[0].data.agreement_type == "project"


def test_every_psa_kind_is_listed() -> None:
    result = CliRunner().invoke(app, ["kinds"], terminal_width=200)
    assert result.exit_code == 0
    for vendor in VENDORS:
        for kind, _, _ in VENDORS[vendor].values():
            assert kind in result.output


def test_cli_runs_one_kind_with_settings(tmp_path: Path) -> None:
    out = tmp_path / "agreements.jsonl"
    folder = PSA / "connectwise"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "connectwise.agreements",
            str(folder / "agreements.json"),
            "--out",
            str(out),
            "--currency",
            "usd",
            "--set",
            f"additions={folder / 'additions.json'}",
        ],
    )
    assert result.exit_code == 0, result.output
    agreements = {e.data.agreement_id: e.data for e in eventlog.read(out)}
    assert sorted(agreements) == ["101", "102", "103", "104"]
    assert [a.product_id for a in agreements["101"].additions] == ["M365-BP", "BACKUP-SRV"]
    assert all(e.source == "psa.connectwise" for e in eventlog.read(out))


def test_cli_writes_the_rejection_report_for_a_malformed_export(tmp_path: Path) -> None:
    out = tmp_path / "time.jsonl"
    result = CliRunner().invoke(
        app,
        ["run", "halo.time-entries", str(PSA / "halo" / "actions_malformed.csv"), "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2, result.output
    with (tmp_path / "time.jsonl.rejected.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    # no --currency: the good row has its own currency column, so only the bad rows are rejected
    assert [(int(r["line"]), r["field"]) for r in rows] == [
        (3, "whe_"),
        (4, "timetaken"),
        (5, "currency"),
        (6, "Areaint"),
        (8, "time_entry_id"),
    ]
    assert [e.data.time_entry_id for e in eventlog.read(out)] == ["3021-5"]
