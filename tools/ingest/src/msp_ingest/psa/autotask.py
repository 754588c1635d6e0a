"""Autotask PSA exports → PSA and billing fact events.

REST JSON as the API returns it (``{"items": [...], "pageDetails": {...}}``, camelCase fields,
picklists as integer codes) or CSV with the same names (or the older PascalCase ones:
``AccountID``, ``ContractType``, ``DateWorked``, ... match ``companyID`` etc. where listed).
Ids are Autotask's numeric ids as strings. Autotask amounts carry no currency: give ``--currency``.

Picklists are integers and configurable per instance. ``--set picklists=FILE`` is the entity's
``GET /v1.0/<Entity>/entityInformation/fields`` response: each code is read by the instance's own
label (``priority`` 6 labelled "P1 - Emergency" → p1 by its words), and ``--set
"<list>.<label or code>=<ours>"`` maps any label the words do not. Without the file the codes
below (Autotask's defaults) apply. Reference ids are named by query responses:
``--set billing_codes=FILE`` (BillingCodes: work types, and absence by name) and ``--set
roles=FILE`` (Roles).

``autotask.companies`` (Companies) → ``psa.client.upserted``

| column | field | rule |
|---|---|---|
| ``id`` (``AccountID``) | client_id | required; company 0 is the MSP itself (internal time) |
| ``companyName`` | name | required |
| ``companyType`` | status | 1 Customer → active, 2 Lead / 3 Prospect → prospect, 4 Dead / 6 Cancellation → churned; Vendor/Partner are rejected (not clients) |
| ``isActive`` | status | false → inactive (customers only) |
| ``address1``, ``city``, ``state``, ``postalCode`` | address | (REST has ``countryID``, a reference, no country name: not read) |
| ``ownerResourceID`` | account_manager_id | resource id, as imported by ``autotask.resources`` |
| ``createDate``, ``lastTrackedModifiedDateTime`` | created_on, updated_at | event time = last change, else created |

``autotask.contracts`` (Contracts + ContractServices) → ``psa.agreement.upserted``

| column | field | rule |
|---|---|---|
| ``id``, ``companyID``, ``contractName`` | agreement_id, client_id, name | required |
| ``contractType`` | agreement_type | 7 Recurring Service → managed_services; 4 Block Hours, 6 Retainer, 8 Per Ticket → block_hours; 1 Time & Materials → time_and_materials; 3 Fixed Price → project |
| ``contractPeriodType`` | billing_cycle | integer picklist: the instance's label (``--set picklists=``), else 1 Monthly, 2 Quarterly, 3 Semi-Annual, 4 Yearly (also the SOAP letters m/q/s/y); default monthly |
| ``startDate``, ``endDate`` | start_date, end_date | |
| ``billAmount`` | bill_amount | Autotask has no fixed fee on the contract: recurring revenue is its services (additions); 0 without the column |
| ``estimatedHours`` | included_hours | block-hours contracts |
| ``overageBillingRate`` | overage_rate | |
| ``status`` | cancelled | 0/Inactive before ``endDate`` → cancelled on the ``lastModifiedDateTime`` date; inactive after its end = expired, not cancelled |
| ``opportunityID``, ``lastModifiedDateTime`` | opportunity_id, updated_at | event time = last change, else start |

ContractServices (``--set additions=FILE`` or an embedded ``services`` list): ``contractID``,
``id``, ``serviceID`` → product_id, ``invoiceDescription`` → description, ``adjustedPrice`` (else
``unitPrice``) → unit_price, ``unitCost``. A REST ContractService has no units or dates: they come
from ContractServiceUnits (``--set service_units=FILE``: ``contractServiceID``, ``units``,
``startDate``): quantity = the latest period's units, effective_date = the first period's start. A
service with neither ``units`` nor a units row is rejected (its quantity is unknown).

``autotask.resources`` (Resources) → ``psa.technician.upserted``

| column | field | rule |
|---|---|---|
| ``id``, ``firstName`` + ``lastName``, ``email`` | technician_id, name, email | |
| ``title`` | work_role | optional: else the name of ``defaultServiceDeskRoleID`` in ``--set roles=FILE``, else ``--set default_work_role=NAME`` |
| ``internalCost`` | cost_rates | resource internal cost (burden rate), from ``hireDate``; with ``--set cost_history=FILE`` (``resourceID, effectiveFrom, hourlyCost``) the history dates it (its latest rate must equal it) |
| ``isActive`` | active | daily capacity from ``--set daily_capacity=`` (default 8); REST has no weekly goal, hourly rate, last-modified or cost-effective date: not read |

``autotask.tickets`` (Tickets) → ``psa.ticket.updated``

| column | field | rule |
|---|---|---|
| ``id``, ``companyID``, ``contractID`` | ticket_id, client_id, agreement_id | |
| ``title``, ``queueID`` | summary, board | the queue's label from the picklist file, else its id |
| ``priority`` | priority | 4 Critical → p1, 1 High → p2, 2 Medium → p3, 3 Low → p4 |
| ``status`` | status | 1 New, 8 In Progress, 10 Dispatched → scheduled, 7/9/12 Waiting → waiting, 5 Complete → closed |
| ``ticketType`` | ticket_type | 1 Service Request, 2 Incident, 3 Problem, 4 Change Request, 5 Alert |
| ``createDate``, ``firstResponseDateTime``, ``completedDate`` | opened_at, responded_at, closed_at | |
| ``firstResponseDueDateTime``, ``resolvedDueDateTime`` | respond_by, fix_by | |
| ``serviceLevelAgreementHasBeenMet`` | sla_breached | false → breached; absent → late response/fix |
| ``estimatedHours``, ``assignedResourceID``, ``lastActivityDate`` | estimated_hours, assigned_technician_id, updated_at | |

``autotask.time-entries`` (TimeEntries) → ``psa.time_entry.logged``

| column | field | rule |
|---|---|---|
| ``id``, ``resourceID``, ``ticketID``, ``contractID`` | ids | |
| (REST has no ``companyID``) | client_id | the ticket's ``companyID`` (``--set tickets=FILE``), else the contract's (``--set contracts=FILE``); no ticket, task or contract = internal time of company 0; a ``companyID`` column (LiveReports) wins; an unknown ticket/contract, or task time without a contract, is rejected naming it |
| ``dateWorked``, ``startDateTime``, ``endDateTime`` | work_date, time_start, time_end | |
| ``hoursWorked`` | hours | 0-24 |
| ``billingCodeID`` | work_type | its name in ``--set billing_codes=FILE``, else the id; absence by name (Holiday, PTO...) |
| ``roleID`` | work_role | its name in ``--set roles=FILE``, else the id |
| ``isNonBillable``, ``showOnInvoice`` | billable_option | non-billable shown on invoice → no_charge, hidden → non_billable |
| ``hoursToBill`` | hours_billed | |
| ``hourlyRate``, ``summaryNotes`` | hourly_rate, notes | |

``autotask.invoices`` (Invoices + BillingItems) → ``billing.invoice.issued``

| column | field | rule |
|---|---|---|
| ``id``, ``invoiceNumber``, ``companyID`` | invoice_id, invoice_number, client_id | |
| ``invoiceDateTime``, ``dueDate`` | invoice_date, due_date | |
| ``totalTaxValue``, ``invoiceTotal`` | tax, total | total must equal lines + tax |
| ``isVoided`` | (rejected) | a void invoice is not revenue |
| BillingItems (``--set billing_items=FILE``, joined by ``invoiceID``; REST invoices embed none) | lines | ``billingItemType`` (picklist; labels from ``--set billing_item_picklists=FILE``, else 1 Labor, 2 Labor Adjustment → labour; 3 Cost → product; 5 Expense; 6 Recurring Contract Service, 7 Service Adjustment → agreement_fee; 4 Milestone → other), ``itemName``/``description``, ``quantity``, ``rate``, ``extendedPrice``, ``ourCost``, ``contractID``, ``productID``/``serviceID``. An item naming an invoice not in the export is rejected at its own line; one not yet invoiced (no ``invoiceID``) is skipped |

Autotask does not record payments (they live in the accounting package): no payments kind.
"""  # noqa: E501

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from msp_ingest.importer import Fact, Mapping
from msp_ingest.options import Kind, Options
from msp_ingest.psa.agreements import (
    AdditionColumns,
    AgreementColumns,
    AgreementImport,
    AgreementKind,
    BillingCycle,
)
from msp_ingest.psa.clients import ClientColumns, ClientStatus, convert_client
from msp_ingest.psa.invoices import InvoiceColumns, InvoiceImport, InvoiceLineColumns, LineType
from msp_ingest.psa.reading import (
    Cols,
    Fields,
    Import,
    Vocab,
    col,
    day,
    has,
    id_text,
    ident,
    norm,
    opt_ident,
    read_records,
    setting,
    text,
)
from msp_ingest.psa.technicians import CostHistoryColumns, TechnicianColumns, TechnicianImport
from msp_ingest.psa.tickets import Priority, TicketColumns, TicketStatus, TicketType, convert_ticket
from msp_ingest.psa.time_entries import TimeEntryColumns, convert_time_entry
from msp_ingest.rows import FieldError, Row

SOURCE = "psa.autotask"
NO_CURRENCY = ("currency", "currencyCode")

COMPANY_TYPES: Vocab[ClientStatus] = Vocab(
    "company_type",
    ("prospect", "active", "inactive", "churned"),
    exact={
        "1": "active",
        "customer": "active",
        "2": "prospect",
        "lead": "prospect",
        "3": "prospect",
        "prospect": "prospect",
        "4": "churned",
        "dead": "churned",
        "6": "churned",
        "cancellation": "churned",
    },
)
COMPANIES = ClientColumns(
    id=("id", "AccountID", "companyID"),
    name=("companyName", "AccountName"),
    created=("createDate", "CreateDate"),
    kind=("companyType", "AccountType"),
    kinds=COMPANY_TYPES,
    active=("isActive", "Active"),
    address=("address1",),
    city=("city",),
    state=("state",),
    postal=("postalCode",),
    tier=("classification", "tier"),
    manager_id=("ownerResourceID",),
    updated=("lastTrackedModifiedDateTime", "lastActivityDate"),
)

CONTRACT_TYPES: Vocab[AgreementKind] = Vocab(
    "contract_type",
    ("managed_services", "block_hours", "time_and_materials", "project"),
    exact={
        "1": "time_and_materials",
        "3": "project",
        "4": "block_hours",
        "6": "block_hours",
        "7": "managed_services",
        "8": "block_hours",
    },
    keywords=(
        ("recurring", "managed_services"),
        ("block", "block_hours"),
        ("retainer", "block_hours"),
        ("per ticket", "block_hours"),
        ("time", "time_and_materials"),
        ("fixed", "project"),
    ),
)
PERIODS: Vocab[BillingCycle] = Vocab(
    "contract_period",
    ("monthly", "quarterly", "semi_annual", "annual", "one_time"),
    # REST integer defaults (the instance's picklist export, when given, is read first), and the
    # older SOAP/CSV letters
    exact={
        "1": "monthly",
        "2": "quarterly",
        "3": "semi_annual",
        "4": "annual",
        "m": "monthly",
        "q": "quarterly",
        "s": "semi_annual",
        "y": "annual",
    },
    keywords=(("month", "monthly"), ("quarter", "quarterly"), ("semi", "semi_annual"), ("year", "annual")),
)
SERVICES = AdditionColumns(
    agreement=("contractID", "ContractID"),
    product=("serviceID", "ServiceID"),
    quantity=("units", "quantity"),
    unit_price=("adjustedPrice", "unitPrice", "AdjustedPrice", "UnitPrice"),
    unit_cost=("unitCost", "UnitCost"),
    id=("id",),
    description=("invoiceDescription", "internalDescription"),
    effective=("startDate",),
    cancelled=("cancelledDate",),
    currency=NO_CURRENCY,
)
CONTRACTS = AgreementColumns(
    id=("id", "ContractID"),
    client=("companyID", "AccountID"),
    name=("contractName", "ContractName"),
    start=("startDate", "StartDate"),
    bill_amount=("billAmount",),
    fee_optional=True,
    kind=("contractType", "ContractType"),
    kinds=CONTRACT_TYPES,
    cycle=("contractPeriodType", "ContractPeriodType"),
    cycles=PERIODS,
    end=("endDate", "EndDate"),
    included_hours=("estimatedHours", "EstimatedHours"),
    overage_rate=("overageBillingRate", "OverageBillingRate"),
    active=("status", "Status"),
    opportunity=("opportunityID",),
    updated=("lastModifiedDateTime",),
    currency=NO_CURRENCY,
    additions=("services", "additions"),
    addition=SERVICES,
)

RESOURCES = TechnicianColumns(
    id=("id", "ResourceID"),
    first_name=("firstName",),
    last_name=("lastName",),
    email=("email",),
    role=("title", "__role__"),
    hourly_cost=("internalCost",),
    created=("hireDate",),
    active=("isActive",),
    currency=NO_CURRENCY,
)
COST_HISTORY = CostHistoryColumns(member=("resourceID", "ResourceID", "memberId"))

PRIORITIES: Vocab[Priority] = Vocab(
    "priority",
    ("p1", "p2", "p3", "p4"),
    exact={
        "4": "p1",
        "critical": "p1",
        "1": "p2",
        "high": "p2",
        "2": "p3",
        "medium": "p3",
        "3": "p4",
        "low": "p4",
    },
    # an instance's own labels (read through --set picklists=FILE)
    keywords=(
        ("critical", "p1"),
        ("emergency", "p1"),
        ("urgent", "p1"),
        ("high", "p2"),
        ("medium", "p3"),
        ("normal", "p3"),
        ("low", "p4"),
    ),
)
STATUSES: Vocab[TicketStatus] = Vocab(
    "ticket_status",
    ("new", "in_progress", "scheduled", "waiting", "resolved", "closed"),
    exact={
        "1": "new",
        "5": "closed",
        "7": "waiting",
        "8": "in_progress",
        "9": "waiting",
        "10": "scheduled",
        "12": "waiting",
    },
    keywords=(
        ("complete", "closed"),
        ("wait", "waiting"),
        ("dispatch", "scheduled"),
        ("progress", "in_progress"),
        ("new", "new"),
    ),
)
TICKET_TYPES: Vocab[TicketType] = Vocab(
    "ticket_type",
    ("incident", "service_request", "problem", "change", "alert"),
    exact={"1": "service_request", "2": "incident", "3": "problem", "4": "change", "5": "alert"},
    keywords=(
        ("request", "service_request"),
        ("incident", "incident"),
        ("problem", "problem"),
        ("change", "change"),
        ("alert", "alert"),
    ),
)
TICKETS = TicketColumns(
    id=("id", "TicketID"),
    client=("companyID", "AccountID"),
    board=("queueID",),
    priority=("priority",),
    priorities=PRIORITIES,
    status=("status",),
    statuses=STATUSES,
    opened=("createDate",),
    updated=("lastActivityDate",),
    agreement=("contractID",),
    summary=("title",),
    kind=("ticketType",),
    kinds=TICKET_TYPES,
    responded=("firstResponseDateTime",),
    closed=("completedDate",),
    respond_by=("firstResponseDueDateTime",),
    fix_by=("resolvedDueDateTime",),
    sla_met=("serviceLevelAgreementHasBeenMet",),
    estimated=("estimatedHours",),
    assignee=("assignedResourceID",),
)

TIME_ENTRIES = TimeEntryColumns(
    id=("id",),
    # no companyID in REST: joined from the ticket or contract (TimeEntryImport); a column wins
    client=("companyID", "AccountID", "__company__"),
    technician=("resourceID", "ResourceID"),
    hours=("hoursWorked", "HoursWorked"),
    work_type=("billingCodeID", "AllocationCodeID"),
    agreement=("contractID", "ContractID"),
    ticket=("ticketID", "TicketID"),
    start=("startDateTime",),
    end=("endDateTime",),
    work_date=("dateWorked", "DateWorked"),
    work_role=("roleID",),
    non_billable=("isNonBillable", "NonBillable"),
    show_on_invoice=("showOnInvoice", "ShowOnInvoice"),
    hours_billed=("hoursToBill", "HoursToBill"),
    hourly_rate=("hourlyRate",),
    notes=("summaryNotes",),
    currency=NO_CURRENCY,
)

ITEM_TYPES: Vocab[LineType] = Vocab(
    "billing_item_type",
    ("agreement_fee", "labour", "product", "licence", "expense", "other"),
    exact={
        "1": "labour",
        "2": "labour",
        "3": "product",
        "4": "other",
        "5": "expense",
        "6": "agreement_fee",
        "7": "agreement_fee",
    },
    keywords=(
        ("labor", "labour"),
        ("recurring", "agreement_fee"),
        ("service", "agreement_fee"),
        ("cost", "product"),
        ("product", "product"),
        ("expense", "expense"),
        ("milestone", "other"),
    ),
)
INVOICES = InvoiceColumns(
    id=("id", "InvoiceID"),
    client=("companyID", "AccountID"),
    date=("invoiceDateTime",),
    due=("dueDate",),
    number=("invoiceNumber",),
    currency=NO_CURRENCY,
    tax=("totalTaxValue",),
    total=("invoiceTotal",),
    lines=("billingItems", "lines"),
    line=InvoiceLineColumns(
        description=("itemName", "description"),
        quantity=("quantity",),
        unit_price=("rate",),
        amount=("extendedPrice",),
        kind=("billingItemType",),
        kinds=ITEM_TYPES,
        agreement=("contractID",),
        product=("productID", "serviceID"),
        unit_cost=("ourCost",),
        period_start=("periodStart",),
        period_end=("periodEnd",),
    ),
    void=("isVoided",),
)

# --------------------------------------------------------------------------- picklists and joins


def picklists(options: Options, name: str = "picklists") -> dict[str, dict[str, str]]:
    """``--set picklists=FILE`` (or another setting name): an ``entityInformation/fields``
    response (``{"fields": [{"name", "isPickList", "picklistValues": [{"value", "label"}]}]}``)
    as field (spelling-insensitive) → value → label. Several files may be given, comma-separated;
    an entity's own fields response is meant, so ``status`` means that entity's status."""
    out: dict[str, dict[str, str]] = {}
    raw = setting(options, name)
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        document = json.loads(Path(part.strip()).read_text(encoding="utf-8-sig"))
        fields = document.get("fields") if isinstance(document, dict) else None
        if not isinstance(fields, list):
            raise ValueError(f"--set {name}={part}: expected an entityInformation/fields response")
        for field_ in fields:
            if not isinstance(field_, dict) or not field_.get("isPickList"):
                continue
            values = {
                str(v.get("value")): str(v.get("label"))
                for v in field_.get("picklistValues") or []
                if isinstance(v, dict) and v.get("label") is not None
            }
            out[norm(str(field_.get("name", "")))] = values
    return out


def names(options: Options, name: str) -> dict[str, str]:
    """``--set NAME=FILE``: an entity query response (``{"items": [{"id", "name"}]}``, e.g.
    BillingCodes or Roles) as id → name."""
    raw = setting(options, name)
    if not raw:
        return {}
    return {
        ident(row, ("id",)): text(row, ("name",))
        for row in read_records(Path(raw))
        if has(row, ("id",)) and has(row, ("name",))
    }


def relabel(row: Row, labels: dict[str, dict[str, str]], extra: dict[str, Any] | None = None) -> Row:
    """The row with each picklist code replaced by the instance's label (what the code lists and
    the ``--set`` overrides then match), so an instance's own values are read by their names."""
    changed: dict[str, Any] = {}
    for key, value in row.fields.items():
        table = labels.get(norm(key))
        if table is not None and value is not None and not isinstance(value, bool):
            label = table.get(id_text(key, value))
            if label is not None:
                changed[key] = label
    if extra:
        changed.update(extra)
    if not changed:
        return row
    return Row(row.file, row.line, Fields({**dict(row.fields), **changed}))


class Relabelled:
    """An Autotask kind whose picklist codes are read through ``--set picklists=FILE``."""

    def __init__(self, inner: Mapping, options: Options) -> None:
        self.inner = inner
        self.source = inner.source
        self.options = options
        self._labels: dict[str, dict[str, str]] | None = None

    def rows(self, path: Path) -> Iterator[Row]:
        if self._labels is None:  # an unreadable picklist file is reported against the export
            self._labels = picklists(self.options)
        return self.inner.rows(path)

    def convert(self, row: Row) -> Iterable[Fact]:
        return self.inner.convert(relabel(row, self._labels or {}))


class TimeEntryImport:
    """TimeEntries. REST time entries carry no company: it is the company of the ticket
    (``--set tickets=FILE``, a Tickets export) or else of the contract (``--set contracts=FILE``);
    an entry with neither ticket, task nor contract is internal time of company 0 (the MSP). A
    ``companyID`` column (LiveReports/CSV exports join it) is taken as it is. Work type and role
    names come from ``--set billing_codes=FILE`` and ``--set roles=FILE`` (BillingCodes and Roles
    query responses), absence from the billing code's name."""

    def __init__(self, options: Options) -> None:
        self.source = SOURCE
        self.options = options
        self._read = False
        self._tickets: dict[str, str] = {}
        self._contracts: dict[str, str] = {}
        self._codes: dict[str, str] = {}
        self._roles: dict[str, str] = {}

    def _companies(self, name: str, key: Cols) -> dict[str, str]:
        raw = setting(self.options, name)
        if not raw:
            return {}
        return {
            ident(row, ("id",)): ident(row, key)
            for row in read_records(Path(raw))
            if has(row, ("id",)) and has(row, key)
        }

    def rows(self, path: Path) -> Iterator[Row]:
        if not self._read:
            self._tickets = self._companies("tickets", ("companyID",))
            self._contracts = self._companies("contracts", ("companyID",))
            self._codes = names(self.options, "billing_codes")
            self._roles = names(self.options, "roles")
            self._read = True
        return read_records(path)

    def _company(self, row: Row) -> str:
        ticket = opt_ident(row, TIME_ENTRIES.ticket)
        contract = opt_ident(row, TIME_ENTRIES.agreement)
        if ticket is not None:
            if ticket in self._tickets:
                return self._tickets[ticket]
            where_ = "the tickets export" if self._tickets else "no tickets export (--set tickets=FILE)"
            raise FieldError(
                col(row, TIME_ENTRIES.ticket),
                f"the company of ticket {ticket!r} is not known: {where_} names it",
            )
        if contract is not None:
            if contract in self._contracts:
                return self._contracts[contract]
            where_ = (
                "the contracts export" if self._contracts else "no contracts export (--set contracts=FILE)"
            )
            raise FieldError(
                col(row, TIME_ENTRIES.agreement),
                f"the company of contract {contract!r} is not known: {where_} names it",
            )
        if has(row, ("taskID",)):
            raise FieldError(
                col(row, ("taskID",)),
                "project task time without a contract: export companyID with the entry",
            )
        return "0"  # internal time (meetings, holidays): the MSP's own company

    def convert(self, row: Row) -> Iterator[Fact]:
        extra: dict[str, Any] = {}
        if not has(row, ("companyID", "AccountID")):
            extra["__company__"] = self._company(row)
        code = opt_ident(row, TIME_ENTRIES.work_type)
        if code is not None and code in self._codes:
            extra[col(row, TIME_ENTRIES.work_type)] = self._codes[code]
        role = opt_ident(row, TIME_ENTRIES.work_role)
        if role is not None and role in self._roles:
            extra[col(row, TIME_ENTRIES.work_role)] = self._roles[role]
        return convert_time_entry(relabel(row, {}, extra), TIME_ENTRIES, self.options)


class ResourceImport(TechnicianImport):
    """Resources: ``title`` is optional; without it the work role is the name of the resource's
    ``defaultServiceDeskRoleID`` in ``--set roles=FILE``, else ``--set default_work_role=NAME``."""

    def __init__(self, options: Options) -> None:
        super().__init__(SOURCE, RESOURCES, COST_HISTORY, options)
        self._roles: dict[str, str] | None = None

    def convert(self, row: Row) -> Iterator[Fact]:
        if not has(row, ("title",)):
            if self._roles is None:
                self._roles = names(self.options, "roles")
            role = opt_ident(row, ("defaultServiceDeskRoleID",))
            name = self._roles.get(role or "") or setting(self.options, "default_work_role")
            if name is None:
                raise FieldError(
                    "title",
                    "is missing: give the resource's role through --set roles=FILE "
                    "(defaultServiceDeskRoleID) or --set default_work_role=NAME",
                )
            row = relabel(row, {}, {"__role__": name})
        return super().convert(row)


class ContractImport(AgreementImport):
    """Contracts with their ContractServices (``--set additions=FILE``). REST ContractServices carry
    no units or dates: ``--set service_units=FILE`` (ContractServiceUnits: ``contractServiceID``,
    ``units``, ``startDate``, ``endDate``) gives them: the units of the latest period, effective from
    the first period's start."""

    def __init__(self, options: Options) -> None:
        super().__init__(SOURCE, CONTRACTS, options)
        self._units: dict[str, list[Row]] | None = None
        self._labels: dict[str, dict[str, str]] | None = None

    def addition_rows(self, path: Path) -> Iterator[Row]:
        if self._units is None:
            self._units = {}
            raw = setting(self.options, "service_units")
            for unit in read_records(Path(raw)) if raw else ():
                if has(unit, ("contractServiceID",)):
                    self._units.setdefault(ident(unit, ("contractServiceID",)), []).append(unit)
        for row in read_records(path):
            periods = sorted(
                self._units.get(opt_ident(row, ("id",)) or "", []),
                key=lambda u: day(u, ("startDate",)),
            )
            if periods and not has(row, ("units", "quantity")):
                row = relabel(
                    row,
                    {},
                    {
                        "units": periods[-1].get("units"),
                        "startDate": periods[0].get("startDate"),
                    },
                )
            yield row

    def rows(self, path: Path) -> Iterator[Row]:
        if self._labels is None:
            self._labels = picklists(self.options)
        return super().rows(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        return super().convert(relabel(row, self._labels or {}))


class AutotaskInvoiceImport(InvoiceImport):
    """Invoices with their BillingItems: REST invoices embed no lines, so ``--set
    billing_items=FILE`` (BillingItems) is joined by ``invoiceID``; an item naming an invoice that
    is not in the export is rejected at its own line, an item not yet invoiced (no invoiceID) is
    not an invoice line and is skipped. ``--set billing_item_picklists=FILE`` (the BillingItems
    fields response) names the item types."""

    def __init__(self, options: Options) -> None:
        super().__init__(SOURCE, INVOICES, options)
        self._labels: dict[str, dict[str, str]] | None = None

    def rows(self, path: Path) -> Iterator[Row]:
        labels = picklists(self.options)
        item_labels = picklists(self.options, "billing_item_picklists")
        raw = setting(self.options, "billing_items")
        items: dict[str, list[Row]] = {}
        for item in read_records(Path(raw)) if raw else ():
            key = opt_ident(item, ("invoiceID",))
            if key is not None:
                items.setdefault(key, []).append(relabel(item, item_labels))
        for row in super().rows(path):
            row = relabel(row, labels)
            mine = items.pop(ident(row, INVOICES.id), []) if has(row, INVOICES.id) else []
            if mine:
                lines = [{**dict(i.fields), "__file__": i.file, "__line__": i.line} for i in mine]
                row = relabel(row, {}, {INVOICES.lines[0]: [*(row.get(*INVOICES.lines) or []), *lines]})
            yield row
        for orphans in items.values():
            for item in orphans:
                yield relabel(
                    item,
                    {},
                    {
                        "__orphan__": (
                            f"invoice {ident(item, ('invoiceID',))!r} is not in the invoices export"
                        ),
                        "__orphan_field__": col(item, ("invoiceID",)),
                    },
                )

    def convert(self, row: Row) -> Iterator[Fact]:
        if row.get("__orphan__") is not None:
            raise FieldError(str(row.get("__orphan_field__")), str(row.get("__orphan__")))
        return super().convert(row)


KINDS = [
    Kind(
        "autotask.companies",
        "Autotask Companies (REST items or CSV; --set picklists=FILE) → psa.client.upserted",
        lambda o: Relabelled(Import(SOURCE, lambda row: convert_client(row, COMPANIES, o)), o),
    ),
    Kind(
        "autotask.contracts",
        "Autotask Contracts; ContractServices (--set additions=) with ContractServiceUnits "
        "(--set service_units=) → psa.agreement.upserted",
        lambda o: ContractImport(o),
    ),
    Kind(
        "autotask.resources",
        "Autotask Resources with internal cost (--set cost_history=FILE) → psa.technician.upserted",
        lambda o: ResourceImport(o),
    ),
    Kind(
        "autotask.tickets",
        "Autotask Tickets (--set picklists=FILE) → psa.ticket.updated",
        lambda o: Relabelled(Import(SOURCE, lambda row: convert_ticket(row, TICKETS, o)), o),
    ),
    Kind(
        "autotask.time-entries",
        "Autotask TimeEntries; company from --set tickets=/contracts= → psa.time_entry.logged",
        lambda o: TimeEntryImport(o),
    ),
    Kind(
        "autotask.invoices",
        "Autotask Invoices joined to BillingItems (--set billing_items=FILE) → billing.invoice.issued",
        lambda o: AutotaskInvoiceImport(o),
    ),
]
