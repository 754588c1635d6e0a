"""HaloPSA exports → PSA and billing fact events.

CSV written by a Halo SQL report (Reporting → Reports, a custom SQL query over the tables named
per kind below), with the SQL column names (``AREA.Aarea``, ``FAULTS.Faultid``,
``ACTIONS.timetaken`` ...); SQL date-times (``2026-01-05 14:30:00``) are UTC.

Codes: the tables hold integers decoded through Halo's lookup tables (``TSTATUS`` for ticket
status, ``LOOKUP`` for billing periods and charge rates). Either the report joins the names
(``tstatusdesc``/``StatusName``, ``CHBillingPeriodName``, ``ChargeRate``), or ``--set
lookup=FILE.csv`` gives them (columns ``column,code,name``, e.g. ``Status,9,Closed``,
``CHBillingPeriod,3,Quarterly``, ``ActionCode,4,No Charge``); a code neither names goes through
the defaults below, and an unknown one is rejected naming ``--set "<list>.<code>=<ours>"``. Ids are Halo's
numeric ids as strings; a time entry (action) is keyed ``<Faultid>-<actionnumber>`` because Halo
numbers actions within their ticket. Halo exports carry no currency: give ``--currency``.
Contract/agent references of 0 or -1 mean "none".

``halo.clients`` (``AREA``) → ``psa.client.upserted``

| column | field | rule |
|---|---|---|
| ``Aarea`` | client_id | required |
| ``aareadesc`` | name | required |
| ``Ainactive`` | status | 1 → inactive, else active |
| ``AAccountManagerTech`` | account_manager_id | agent ``Unum`` |
| ``ADateCreated`` | created_on | required; event time (no last-change column) |
| ``Atier`` | tier | optional |

``halo.contracts`` (``CONTRACTHEADER``) → ``psa.agreement.upserted``

| column | field | rule |
|---|---|---|
| ``CHid``, ``CHarea``, ``CHcontractRef`` | agreement_id, client_id, name | required |
| ``CHstartdate``, ``CHenddate`` | start_date, end_date | |
| ``CHPeriodChargeAmount`` | bill_amount | required, ≥ 0 |
| ``CHChargeHoursPerPeriod`` (``CHNumberofUnitsFree``) | included_hours | 0 = none |
| (no type column) | agreement_type | inferred: fee with included hours → block_hours, fee alone → managed_services, no fee → time_and_materials (``--set "agreement_type.<CHcontractRef>=project"`` overrides per contract) |
| ``CHBillingPeriod`` | billing_cycle | integer code → name (joined or lookup): Monthly, Quarterly, Six Monthly → semi_annual, Yearly/Annually; default monthly |
| ``CHRollingContract``, ``CHChargeRollOver`` | auto_renew, carry_over_unused | |
| ``CHStatus`` | cancelled | Cancelled/Inactive before the end date → cancelled on ``CHLastUpdated`` |

``halo.agents`` (``UNAME``) → ``psa.technician.upserted``

| column | field | rule |
|---|---|---|
| ``Unum``, ``uname``, ``uemail`` | technician_id, name, email | |
| ``UJobTitle`` | work_role | required |
| ``ucostPrice`` | cost_rates | from ``UStartDate``; ``--set cost_history=FILE`` (``Unum, effectiveFrom, hourlyCost``) for earlier rates |
| ``Udefaultchargerate`` | hourly_rate | |
| ``UDailyHours`` | daily_capacity_hours | else ``--set daily_capacity=`` (default 8) |
| ``Uisdisabled`` | active | 1 → inactive |

``halo.tickets`` (``FAULTS``) → ``psa.ticket.updated``

| column | field | rule |
|---|---|---|
| ``Faultid``, ``Areaint``, ``fcontractid`` | ticket_id, client_id, agreement_id | |
| ``Symptom``, ``Sectio_`` | summary, board (team) | |
| ``Seriousness`` | priority | 1 → p1 … 4 → p4 |
| ``Status`` | status | code → name (joined or lookup), else 1 New, 2 In Progress, 3 Action Required → in_progress, 4 Waiting on User → waiting, 8 Resolved, 9 Closed |
| ``RTDesc`` | ticket_type | request type name: Incident, Service Request, Problem, Change, Alert |
| ``dateoccured``, ``FResponseDate``, ``datecleared`` | opened_at, responded_at, closed_at | |
| ``FRespondByDate``, ``fixbydate`` | respond_by, fix_by | sla_breached = responded after respond-by or cleared after fix-by |
| ``FEstimate``, ``Assignedtoint``, ``Sitenumber`` | estimated_hours, assigned_technician_id, site_id | |
| ``FLastActionDate`` | updated_at | else cleared, else occurred |

``halo.time-entries`` (``ACTIONS`` joined to ``FAULTS.Areaint``) → ``psa.time_entry.logged``

| column | field | rule |
|---|---|---|
| ``Faultid`` + ``actionnumber`` | time_entry_id | ``"<Faultid>-<actionnumber>"``; ticket_id = ``Faultid`` |
| ``Areaint`` | client_id | the ticket's client |
| ``whoagentid`` | technician_id | agent ``Unum`` |
| ``whe_`` | work_date | date-time the action was logged; event time |
| ``timetaken`` | hours | 0-24 |
| ``ChargeRate`` (the charge code's name, joined or from the lookup), else ``ActionCode`` | work_type | |
| ``ActionCode`` | billable_option | the charge code decides: -1 → non_billable; a rate named No Charge/Free/Warranty → no_charge, Non-Billable/Internal → non_billable (``--set "charge_rate.<name>=..."``); any other → billable. Never the charge hours: blank and 0 read alike in SQL reports, and prepaid time charges 0 hours |
| ``ActionChargeHours``, ``ActionPrePayHours`` | hours_billed, hours_deducted | blank = the hours worked when billable, else 0 |
| ``ActionChargeAmount`` | hourly_rate | amount / charge hours |
| ``ActionContractID`` | agreement_id | 0 / -1 = none |
| ``ActionInvoiceNumber``, ``Note`` | invoice_id, notes | |

``halo.invoices`` (``INVOICEHEADER`` + ``INVOICEDETAIL``, one row per line) → ``billing.invoice.issued``

| column | field | rule |
|---|---|---|
| ``IHid``, ``IHInvoiceNumber``, ``IHaarea`` | invoice_id, invoice_number, client_id | |
| ``IHInvoiceDate``, ``IHDueDate`` | invoice_date, due_date | |
| ``IHTaxAmount``, ``IHTotal`` | tax, total | total must equal lines + tax |
| ``IDType`` | line_type | Contract/Recurring → agreement_fee, Labour/Time → labour, Item → product (licence by SKU or name) |
| ``IDItemCode``, ``IDDescription``, ``IDQuantity``, ``IDUnitPrice``, ``IDNetAmount``, ``IDUnitCost``, ``IDContractID``, ``IDVendorSku`` | line fields | |

Halo payments are not exported by these reports: no payments kind.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from msp_ingest.importer import Fact, Mapping
from msp_ingest.options import Kind, Options
from msp_ingest.psa.agreements import AgreementColumns, AgreementImport, BillingCycle
from msp_ingest.psa.clients import ClientColumns, convert_client
from msp_ingest.psa.invoices import InvoiceColumns, InvoiceImport, InvoiceLineColumns, LineType
from msp_ingest.psa.reading import Fields, Import, Vocab, col, has, ident, norm, read_records, setting, text
from msp_ingest.psa.technicians import CostHistoryColumns, TechnicianColumns, TechnicianImport
from msp_ingest.psa.tickets import Priority, TicketColumns, TicketStatus, TicketType, convert_ticket
from msp_ingest.psa.time_entries import TimeEntryColumns, convert_time_entry
from msp_ingest.rows import Row

SOURCE = "psa.halo"
NO_CURRENCY = ("currency",)
NONE = ("0", "-1")

CLIENTS = ClientColumns(
    id=("Aarea",),
    name=("aareadesc",),
    created=("ADateCreated",),
    inactive=("Ainactive",),
    tier=("Atier",),
    manager_id=("AAccountManagerTech",),
    manager_name=("AAccountManagerName",),
    currency=NO_CURRENCY,
)

PERIODS: Vocab[BillingCycle] = Vocab(
    "billing_period",
    ("monthly", "quarterly", "semi_annual", "annual", "one_time"),
    keywords=(
        ("month", "monthly"),
        ("quarter", "quarterly"),
        ("six", "semi_annual"),
        ("semi", "semi_annual"),
        ("year", "annual"),
        ("annual", "annual"),
        ("once", "one_time"),
    ),
)
CONTRACTS = AgreementColumns(
    id=("CHid",),
    client=("CHarea",),
    name=("CHcontractRef",),
    start=("CHstartdate",),
    bill_amount=("CHPeriodChargeAmount",),
    cycle=("CHBillingPeriod",),
    cycles=PERIODS,
    end=("CHenddate",),
    included_hours=("CHChargeHoursPerPeriod", "CHNumberofUnitsFree"),
    carry_over=("CHChargeRollOver",),
    auto_renew=("CHRollingContract",),
    active=("CHStatus",),
    updated=("CHLastUpdated",),
    currency=NO_CURRENCY,
)

AGENTS = TechnicianColumns(
    id=("Unum",),
    name=("uname",),
    email=("uemail",),
    role=("UJobTitle",),
    capacity=("UDailyHours",),
    hourly_cost=("ucostPrice",),
    cost_from=("UCostEffectiveDate",),
    created=("UStartDate",),
    hourly_rate=("Udefaultchargerate",),
    inactive=("Uisdisabled",),
    currency=NO_CURRENCY,
)
COST_HISTORY = CostHistoryColumns(member=("Unum", "memberId"))

PRIORITIES: Vocab[Priority] = Vocab(
    "seriousness",
    ("p1", "p2", "p3", "p4"),
    exact={"1": "p1", "2": "p2", "3": "p3", "4": "p4"},
    keywords=(("critical", "p1"), ("high", "p2"), ("medium", "p3"), ("low", "p4")),
)
STATUSES: Vocab[TicketStatus] = Vocab(
    "ticket_status",
    ("new", "in_progress", "scheduled", "waiting", "resolved", "closed"),
    exact={
        "1": "new",
        "2": "in_progress",
        "3": "in_progress",
        "4": "waiting",
        "8": "resolved",
        "9": "closed",
    },
    keywords=(
        ("closed", "closed"),
        ("resolved", "resolved"),
        ("waiting", "waiting"),
        ("hold", "waiting"),
        ("progress", "in_progress"),
        ("new", "new"),
    ),
)
REQUEST_TYPES: Vocab[TicketType] = Vocab(
    "request_type",
    ("incident", "service_request", "problem", "change", "alert"),
    keywords=(
        ("incident", "incident"),
        ("request", "service_request"),
        ("problem", "problem"),
        ("change", "change"),
        ("alert", "alert"),
    ),
)
TICKETS = TicketColumns(
    id=("Faultid",),
    client=("Areaint",),
    board=("Sectio_",),
    priority=("Seriousness",),
    priorities=PRIORITIES,
    status=("Status",),
    statuses=STATUSES,
    opened=("dateoccured",),
    updated=("FLastActionDate",),
    agreement=("fcontractid",),
    summary=("Symptom",),
    kind=("RTDesc",),
    kinds=REQUEST_TYPES,
    responded=("FResponseDate",),
    closed=("datecleared",),
    respond_by=("FRespondByDate",),
    fix_by=("fixbydate",),
    estimated=("FEstimate",),
    site=("Sitenumber",),
    assignee=("Assignedtoint",),
    none=NONE,
)

ACTIONS = TimeEntryColumns(
    id=("Faultid",),
    id_part=("actionnumber",),
    client=("Areaint",),
    technician=("whoagentid",),
    hours=("timetaken",),
    work_type=("ChargeRate", "ActionCode"),
    agreement=("ActionContractID",),
    ticket=("Faultid",),
    stamp=("whe_",),
    charge_code=("ActionCode",),
    charge_name=("ChargeRate",),
    non_billable_codes=("-1",),
    hours_billed=("ActionChargeHours",),
    hours_deducted=("ActionPrePayHours",),
    charge_amount=("ActionChargeAmount",),
    invoice=("ActionInvoiceNumber",),
    notes=("Note",),
    currency=NO_CURRENCY,
    none=NONE,
)

DETAIL_TYPES: Vocab[LineType] = Vocab(
    "line_type",
    ("agreement_fee", "labour", "product", "licence", "expense", "other"),
    keywords=(
        ("contract", "agreement_fee"),
        ("recurring", "agreement_fee"),
        ("labour", "labour"),
        ("labor", "labour"),
        ("time", "labour"),
        ("item", "product"),
        ("product", "product"),
        ("licen", "licence"),
        ("expense", "expense"),
    ),
)
INVOICES = InvoiceColumns(
    id=("IHid",),
    client=("IHaarea",),
    date=("IHInvoiceDate",),
    due=("IHDueDate",),
    number=("IHInvoiceNumber",),
    currency=NO_CURRENCY,
    tax=("IHTaxAmount",),
    total=("IHTotal",),
    line=InvoiceLineColumns(
        description=("IDDescription",),
        quantity=("IDQuantity",),
        unit_price=("IDUnitPrice",),
        amount=("IDNetAmount",),
        kind=("IDType",),
        kinds=DETAIL_TYPES,
        agreement=("IDContractID",),
        product=("IDItemCode",),
        vendor_sku=("IDVendorSku",),
        unit_cost=("IDUnitCost",),
        period_start=("IDPeriodStart",),
        period_end=("IDPeriodEnd",),
        none=NONE,
    ),
)

#: code column → the column a SQL report writes when it joins the code's name (preferred when present)
NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "Status": ("StatusName", "tstatusdesc"),
    "CHBillingPeriod": ("CHBillingPeriodName", "BillingPeriodName"),
    "CHStatus": ("CHStatusName",),
    "Seriousness": ("SeriousnessName", "pdesc"),
}
#: a charge code decodes into its own name column, keeping the code (-1 = non-billable)
ADDED_NAMES = {"ActionCode": "ChargeRate"}


def lookup_table(options: Options) -> dict[tuple[str, str], str]:
    """``--set lookup=FILE.csv``, columns ``column,code,name`` (e.g. ``Status,9,Closed``,
    ``CHBillingPeriod,3,Quarterly``, ``ActionCode,2,Onsite``): Halo's lookup tables (TSTATUS,
    LOOKUP) as the instance has them, for reports that export the integer codes."""
    raw = setting(options, "lookup")
    if not raw:
        return {}
    table: dict[tuple[str, str], str] = {}
    for row in read_records(Path(raw)):
        table[(norm(text(row, ("column",))), ident(row, ("code",)))] = text(row, ("name",))
    return table


def decode(row: Row, table: dict[tuple[str, str], str]) -> Row:
    """Integer codes replaced by their names: the report's joined name column first, else the
    lookup file; a code neither names goes through the default code list (and is rejected with
    the fix when it is not in it)."""
    changed: dict[str, Any] = {}
    for column, names in NAME_COLUMNS.items():
        if not has(row, (column,)) and not has(row, names):
            continue
        target = col(row, (column,))
        if has(row, names):
            changed[target] = text(row, names)
        else:
            name = table.get((norm(column), ident(row, (column,))))
            if name is not None:
                changed[target] = name
    for column, into in ADDED_NAMES.items():
        if has(row, (column,)) and not has(row, (into,)):
            name = table.get((norm(column), ident(row, (column,))))
            if name is not None:
                changed[into] = name
    if not changed:
        return row
    return Row(row.file, row.line, Fields({**dict(row.fields), **changed}))


class Decoded:
    """A Halo kind whose integer codes are read through ``--set lookup=FILE`` or joined names."""

    def __init__(self, inner: Mapping, options: Options) -> None:
        self.inner = inner
        self.source = inner.source
        self.options = options
        self._table: dict[tuple[str, str], str] | None = None

    def rows(self, path: Path) -> Iterator[Row]:
        if self._table is None:  # an unreadable lookup file is reported against the export
            self._table = lookup_table(self.options)
        return self.inner.rows(path)

    def convert(self, row: Row) -> Iterable[Fact]:
        return self.inner.convert(decode(row, self._table or {}))


KINDS = [
    Kind(
        "halo.clients",
        "HaloPSA AREA (SQL report CSV) → psa.client.upserted",
        lambda o: Import(SOURCE, lambda row: convert_client(row, CLIENTS, o)),
    ),
    Kind(
        "halo.contracts",
        "HaloPSA CONTRACTHEADER → psa.agreement.upserted (type inferred from fee and hours)",
        lambda o: Decoded(AgreementImport(SOURCE, CONTRACTS, o), o),
    ),
    Kind(
        "halo.agents",
        "HaloPSA UNAME with ucostPrice (--set cost_history=FILE) → psa.technician.upserted",
        lambda o: TechnicianImport(SOURCE, AGENTS, COST_HISTORY, o),
    ),
    Kind(
        "halo.tickets",
        "HaloPSA FAULTS → psa.ticket.updated",
        lambda o: Decoded(Import(SOURCE, lambda row: convert_ticket(row, TICKETS, o)), o),
    ),
    Kind(
        "halo.time-entries",
        "HaloPSA ACTIONS (ActionCode -1 = non-billable) → psa.time_entry.logged",
        lambda o: Decoded(Import(SOURCE, lambda row: convert_time_entry(row, ACTIONS, o)), o),
    ),
    Kind(
        "halo.invoices",
        "HaloPSA INVOICEHEADER + INVOICEDETAIL, one row per line → billing.invoice.issued",
        lambda o: InvoiceImport(SOURCE, INVOICES, o),
    ),
]
