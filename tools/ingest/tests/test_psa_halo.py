"""HaloPSA samples (SQL report CSV): every row imports and every event field equals the source."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events.registry import spec_for

from msp_ingest import importer
from msp_ingest.kinds import ALL
from msp_ingest.options import Options

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "psa" / "halo"


def load(name: str) -> list[dict[str, str]]:
    with (SAMPLES / name).open(newline="") as file:
        return list(csv.DictReader(file))


def run(kind: str, *files: str, **extra: str) -> dict[str, Any]:
    options = Options(currency="USD", extra={k: str(SAMPLES / v) for k, v in extra.items()})
    result = importer.run(ALL[kind].build(options), [SAMPLES / f for f in files])
    assert result.report.rejections == [], result.report.rejections
    return {spec_for(e.data).key_of(e.data): e.data for e in result.envelopes}


def d(value: str) -> Decimal:
    return Decimal(value)


def ts(value: str) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def day(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def test_clients() -> None:
    clients = run("halo.clients", "clients.csv")
    rows = load("clients.csv")
    assert sorted(clients) == sorted(r["Aarea"] for r in rows)
    for r in rows:
        c = clients[r["Aarea"]]
        assert c.name == r["aareadesc"]
        assert c.status == ("inactive" if r["Ainactive"] == "1" else "active")
        assert c.tier == (r["Atier"] or None)
        assert c.account_manager_id == (r["AAccountManagerTech"] or None)
        assert c.created_on == day(r["ADateCreated"])
        assert c.currency == "USD"


def test_contracts_type_is_inferred_from_fee_and_hours() -> None:
    contracts = run("halo.contracts", "contracts.csv", lookup="lookup.csv")
    for r in load("contracts.csv"):
        assert r["CHBillingPeriod"] == "1"  # the integer code, decoded through the lookup file
        a = contracts[r["CHid"]]
        assert a.client_id == r["CHarea"]
        assert a.name == r["CHcontractRef"]
        assert a.start_date == day(r["CHstartdate"])
        assert a.end_date == day(r["CHenddate"])
        assert a.bill_amount.amount == d(r["CHPeriodChargeAmount"])
        assert a.included_hours == (d(r["CHChargeHoursPerPeriod"]) or None)
        assert a.auto_renew is (r["CHRollingContract"] == "1")
        assert a.carry_over_unused is (r["CHChargeRollOver"] == "1")
        assert a.billing_cycle == "monthly"
        assert a.updated_at == ts(r["CHLastUpdated"])
    assert [contracts[k].agreement_type for k in ("21", "22", "23", "24")] == [
        "managed_services",
        "block_hours",
        "time_and_materials",
        "managed_services",
    ]
    assert (contracts["24"].cancelled, contracts["24"].cancelled_date) == (True, date(2025, 12, 31))


def test_agents() -> None:
    agents = run("halo.agents", "agents.csv")
    for r in load("agents.csv"):
        m = agents[r["Unum"]]
        assert m.name == r["uname"]
        assert m.email == r["uemail"]
        assert m.work_role == r["UJobTitle"]
        assert m.daily_capacity_hours == d(r["UDailyHours"])
        assert m.hourly_rate is not None and m.hourly_rate.amount == d(r["Udefaultchargerate"])
        assert [(c.effective_from, c.hourly_cost.amount) for c in m.cost_rates] == [
            (day(r["UCostEffectiveDate"] or r["UStartDate"]), d(r["ucostPrice"]))
        ]
        assert m.active is (r["Uisdisabled"] == "0")


def test_tickets() -> None:
    tickets = run("halo.tickets", "tickets.csv")
    status = {"1": "new", "2": "in_progress", "9": "closed"}
    for r in load("tickets.csv"):
        t = tickets[r["Faultid"]]
        assert t.client_id == r["Areaint"]
        assert t.agreement_id == (None if r["fcontractid"] in ("0", "-1") else r["fcontractid"])
        assert t.summary == r["Symptom"]
        assert t.board == r["Sectio_"]
        assert t.priority == f"p{r['Seriousness']}"
        assert t.status == status[r["Status"]]
        assert t.opened_at == ts(r["dateoccured"])
        assert t.responded_at == ts(r["FResponseDate"])
        assert t.closed_at == ts(r["datecleared"])
        assert t.respond_by == ts(r["FRespondByDate"])
        assert t.fix_by == ts(r["fixbydate"])
        assert t.estimated_hours == (d(r["FEstimate"]) if r["FEstimate"] else None)
        assert t.assigned_technician_id == (None if r["Assignedtoint"] == "0" else r["Assignedtoint"])
        assert t.site_id == r["Sitenumber"]
        assert t.updated_at == ts(r["FLastActionDate"])
        late = (t.responded_at and t.respond_by and t.responded_at > t.respond_by) or (
            t.closed_at and t.fix_by and t.closed_at > t.fix_by
        )
        assert t.sla_breached is bool(late)
    assert tickets["3023"].sla_breached


def test_actions_as_time_entries() -> None:
    entries = run("halo.time-entries", "actions.csv", lookup="lookup.csv")
    for r in load("actions.csv"):
        e = entries[f"{r['Faultid']}-{r['actionnumber']}"]
        assert e.client_id == r["Areaint"]
        assert e.technician_id == r["whoagentid"]
        assert e.ticket_id == r["Faultid"]
        assert e.work_date == day(r["whe_"])
        assert e.hours == d(r["timetaken"])
        assert e.work_type == r["ChargeRate"]
        assert e.hours_billed == d(r["ActionChargeHours"] or "0")
        assert e.hours_deducted == d(r["ActionPrePayHours"])
        assert e.agreement_id == (None if r["ActionContractID"] in ("0", "-1") else r["ActionContractID"])
        assert e.invoice_id == (None if r["ActionInvoiceNumber"] == "0" else r["ActionInvoiceNumber"])
        # the charge code decides, never blank-or-zero charge hours
        expected = {"-1": "non_billable", "4": "no_charge"}.get(r["ActionCode"], "billable")
        assert e.billable_option == expected
        charged = d(r["ActionChargeAmount"])
        rate = (charged / d(r["ActionChargeHours"])).quantize(Decimal("0.01")) if charged else None
        assert (e.hourly_rate.amount if e.hourly_rate else None) == rate
        assert e.notes == r["Note"]


def test_invoices_from_line_rows() -> None:
    invoices = run("halo.invoices", "invoices.csv")
    rows = load("invoices.csv")
    for invoice_id in {r["IHid"] for r in rows}:
        mine = [r for r in rows if r["IHid"] == invoice_id]
        i = invoices[invoice_id]
        assert i.invoice_number == mine[0]["IHInvoiceNumber"]
        assert i.client_id == mine[0]["IHaarea"]
        assert i.invoice_date == day(mine[0]["IHInvoiceDate"])
        assert i.due_date == day(mine[0]["IHDueDate"])
        assert i.total.amount == d(mine[0]["IHTotal"])
        for line, r in zip(i.lines, mine, strict=True):
            assert line.description == r["IDDescription"]
            assert line.quantity == d(r["IDQuantity"])
            assert line.unit_price.amount == d(r["IDUnitPrice"])
            assert line.amount.amount == d(r["IDNetAmount"])
            assert line.product_id == (r["IDItemCode"] or None)
            assert line.vendor_sku == (r["IDVendorSku"] or None)
    assert [line.line_type for line in invoices["5500"].lines] == ["agreement_fee", "licence"]
    assert [line.line_type for line in invoices["5501"].lines] == ["labour", "product"]


def _write(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_chargeable_time_with_blank_or_zero_charge_hours_stays_billable(tmp_path: Path) -> None:
    header = "Faultid,actionnumber,Areaint,whoagentid,whe_,timetaken,ChargeRate,ActionCode,ActionChargeHours"
    path = _write(
        tmp_path / "actions.csv",
        header,
        "3030,1,12,3,2026-01-05 10:00:00,1.0,Remote Support,1,",
        "3030,2,12,3,2026-01-05 11:00:00,1.0,Remote Support,1,0",
        "3030,3,12,3,2026-01-05 12:00:00,1.0,Remote Support,1,1.0",
    )
    result = importer.run(ALL["halo.time-entries"].build(Options(currency="USD")), [path])
    assert result.report.rejections == []
    got = {e.data.time_entry_id: (e.data.billable_option, e.data.hours_billed) for e in result.envelopes}
    assert got == {
        "3030-1": ("billable", Decimal("1.0")),  # blank: billed as worked
        "3030-2": ("billable", Decimal("0")),  # 0 charge hours (prepaid, say): still chargeable time
        "3030-3": ("billable", Decimal("1.0")),
    }


def test_the_charge_code_name_comes_from_the_lookup_when_the_report_has_only_the_code(tmp_path: Path) -> None:
    header = "Faultid,actionnumber,Areaint,whoagentid,whe_,timetaken,ActionCode,ActionChargeHours"
    path = _write(tmp_path / "actions.csv", header, "3031,1,12,3,2026-01-05 10:00:00,0.5,4,0")
    options = Options(currency="USD", extra={"lookup": str(SAMPLES / "lookup.csv")})
    result = importer.run(ALL["halo.time-entries"].build(options), [path])
    (entry,) = [e.data for e in result.envelopes]
    assert (entry.work_type, entry.billable_option) == ("No Charge", "no_charge")
    plain = importer.run(ALL["halo.time-entries"].build(Options(currency="USD")), [path])
    (entry,) = [e.data for e in plain.envelopes]
    assert (entry.work_type, entry.billable_option) == ("4", "billable")  # no name: the code bills


def test_billing_period_codes_need_the_lookup_or_the_joined_name(tmp_path: Path) -> None:
    plain = importer.run(ALL["halo.contracts"].build(Options(currency="USD")), [SAMPLES / "contracts.csv"])
    assert {(r.field, r.reason.split(";")[0]) for r in plain.report.rejections} == {
        ("CHBillingPeriod", "'1' is not a known billing period")
    }
    assert '--set "billing_period.1=VALUE"' in plain.report.rejections[0].reason
    rows = load("contracts.csv")
    header = ",".join([*rows[0], "CHBillingPeriodName"])
    lines = [",".join([*r.values(), "Quarterly"]) for r in rows]
    joined = importer.run(
        ALL["halo.contracts"].build(Options(currency="USD")), [_write(tmp_path / "c.csv", header, *lines)]
    )
    assert joined.report.rejections == []
    assert {e.data.billing_cycle for e in joined.envelopes} == {"quarterly"}


def test_an_instances_own_status_codes_are_read_through_the_lookup(tmp_path: Path) -> None:
    rows = load("tickets.csv")
    rows[1]["Status"] = "21"
    header = ",".join(rows[0])
    path = _write(tmp_path / "t.csv", header, *(",".join(r.values()) for r in rows))
    lookup = tmp_path / "lookup.csv"
    lookup.write_text((SAMPLES / "lookup.csv").read_text() + "Status,21,Waiting on Supplier\n")
    result = importer.run(
        ALL["halo.tickets"].build(Options(currency="USD", extra={"lookup": str(lookup)})), [path]
    )
    assert result.report.rejections == []
    assert {e.data.ticket_id: e.data.status for e in result.envelopes}[rows[1]["Faultid"]] == "waiting"
