"""Autotask PSA exports → PSA and billing fact events.

REST JSON as the API returns it (``{"items": [...], "pageDetails": {...}}``, camelCase fields,
picklists as integer codes) or CSV with the same names (or the older PascalCase ones:
``AccountID``, ``ContractType``, ``DateWorked``, ... match ``companyID`` etc. where listed).
Ids are Autotask's numeric ids as strings. Picklist codes below are Autotask's defaults; labels
(``Customer``, ``Recurring Service``, ...) work too, and ``--set "<list>.<code>=<ours>"`` maps
an instance's own values. Autotask amounts carry no currency: give ``--currency``.

``autotask.companies`` (Companies) → ``psa.client.upserted``

| column | field | rule |
|---|---|---|
| ``id`` (``AccountID``) | client_id | required; company 0 is the MSP itself (internal time) |
| ``companyName`` | name | required |
| ``companyType`` | status | 1 Customer → active, 2 Lead / 3 Prospect → prospect, 4 Dead / 6 Cancellation → churned; Vendor/Partner are rejected (not clients) |
| ``isActive`` | status | false → inactive (customers only) |
| ``address1``, ``city``, ``state``, ``postalCode``, ``country`` | address | country name or ISO code |
| ``ownerResourceID`` | account_manager_id | resource id, as imported by ``autotask.resources`` |
| ``createDate``, ``lastTrackedModifiedDateTime`` | created_on, updated_at | event time = last change, else created |

``autotask.contracts`` (Contracts + ContractServices) → ``psa.agreement.upserted``

| column | field | rule |
|---|---|---|
| ``id``, ``companyID``, ``contractName`` | agreement_id, client_id, name | required |
| ``contractType`` | agreement_type | 7 Recurring Service → managed_services; 4 Block Hours, 6 Retainer, 8 Per Ticket → block_hours; 1 Time & Materials → time_and_materials; 3 Fixed Price → project |
| ``contractPeriodType`` | billing_cycle | m/Monthly, q/Quarterly, s/Semi-Annual, y/Yearly; default monthly |
| ``startDate``, ``endDate`` | start_date, end_date | |
| ``billAmount`` | bill_amount | Autotask has no fixed fee on the contract: recurring revenue is its services (additions); 0 without the column |
| ``estimatedHours`` | included_hours | block-hours contracts |
| ``overageBillingRate`` | overage_rate | |
| ``status`` | cancelled | 0/Inactive before ``endDate`` → cancelled on the ``lastModifiedDateTime`` date; inactive after its end = expired, not cancelled |
| ``opportunityID``, ``lastModifiedDateTime`` | opportunity_id, updated_at | event time = last change, else start |

ContractServices (``--set additions=FILE`` or an embedded ``services`` list): ``contractID``,
``id``, ``serviceID`` → product_id, ``invoiceDescription``, ``units`` (``quantity``) → quantity,
``adjustedPrice`` (else ``unitPrice``) → unit_price, ``unitCost``, ``startDate`` → effective_date,
``endDate`` → cancelled_date.

``autotask.resources`` (Resources) → ``psa.technician.upserted``

| column | field | rule |
|---|---|---|
| ``id``, ``firstName`` + ``lastName``, ``email`` | technician_id, name, email | |
| ``title`` | work_role | required |
| ``internalCost`` | cost_rates | resource internal cost (burden rate), from ``hireDate``; ``--set cost_history=FILE`` (``resourceID, effectiveFrom, hourlyCost``) for earlier rates |
| ``weeklyBillableHoursGoal`` | weekly_billable_hours_target | |
| ``hourlyRate`` | hourly_rate | |
| ``isActive``, ``lastModifiedDate`` | active, updated_at | daily capacity from ``--set daily_capacity=`` (default 8) |

``autotask.tickets`` (Tickets) → ``psa.ticket.updated``

| column | field | rule |
|---|---|---|
| ``id``, ``companyID``, ``contractID`` | ticket_id, client_id, agreement_id | |
| ``title``, ``queueName`` (else ``queueID``) | summary, board | |
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
| ``companyID`` | client_id | required: the REST entity has none, export it joined from the ticket (LiveReports do) |
| ``dateWorked``, ``startDateTime``, ``endDateTime`` | work_date, time_start, time_end | |
| ``hoursWorked`` | hours | 0-24 |
| ``billingCodeName`` (else ``billingCodeID``) | work_type | the work type / allocation code |
| ``roleName`` | work_role | |
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
| ``billingItems`` (embedded) | lines | ``billingItemType`` (1 Labor, 2 Labor Adjustment → labour; 3 Cost/product → product; 5 Expense; 6 Recurring Contract Service, 7 Service Adjustment → agreement_fee; 4 Milestone → other), ``itemName``/``description``, ``quantity``, ``rate``, ``extendedPrice``, ``ourCost``, ``contractID``, ``productID``/``serviceID``, ``vendorSku``, ``periodStart``/``periodEnd`` |

Autotask does not record payments (they live in the accounting package): no payments kind.
"""  # noqa: E501

from __future__ import annotations

from msp_ingest.options import Kind
from msp_ingest.psa.agreements import (
    AdditionColumns,
    AgreementColumns,
    AgreementImport,
    AgreementKind,
    BillingCycle,
)
from msp_ingest.psa.clients import ClientColumns, ClientStatus, convert_client
from msp_ingest.psa.invoices import InvoiceColumns, InvoiceImport, InvoiceLineColumns, LineType
from msp_ingest.psa.reading import Import, Vocab
from msp_ingest.psa.technicians import CostHistoryColumns, TechnicianColumns, TechnicianImport
from msp_ingest.psa.tickets import Priority, TicketColumns, TicketStatus, TicketType, convert_ticket
from msp_ingest.psa.time_entries import TimeEntryColumns, convert_time_entry

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
    country=("country", "countryName"),
    tier=("classificationName", "tier"),
    industry=("marketSegmentName",),
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
    exact={"m": "monthly", "q": "quarterly", "s": "semi_annual", "y": "annual"},
    keywords=(("month", "monthly"), ("quarter", "quarterly"), ("semi", "semi_annual"), ("year", "annual")),
)
SERVICES = AdditionColumns(
    agreement=("contractID", "ContractID"),
    product=("serviceID", "ServiceID"),
    quantity=("units", "quantity"),
    unit_price=("adjustedPrice", "unitPrice", "AdjustedPrice", "UnitPrice"),
    unit_cost=("unitCost", "UnitCost"),
    id=("id",),
    description=("invoiceDescription", "serviceName"),
    vendor_sku=("vendorSku",),
    effective=("startDate",),
    cancelled=("endDate",),
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
    role=("title", "roleName"),
    weekly_target=("weeklyBillableHoursGoal",),
    hourly_cost=("internalCost",),
    cost_from=("internalCostEffectiveDate",),
    created=("hireDate",),
    hourly_rate=("hourlyRate",),
    active=("isActive",),
    updated=("lastModifiedDate",),
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
    board=("queueName", "queueID"),
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
    client=("companyID", "AccountID"),
    technician=("resourceID", "ResourceID"),
    hours=("hoursWorked", "HoursWorked"),
    work_type=("billingCodeName", "billingCodeID", "AllocationCodeID"),
    agreement=("contractID", "ContractID"),
    ticket=("ticketID", "TicketID"),
    start=("startDateTime",),
    end=("endDateTime",),
    work_date=("dateWorked", "DateWorked"),
    work_role=("roleName",),
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
        description=("description", "itemName"),
        quantity=("quantity",),
        unit_price=("rate",),
        amount=("extendedPrice",),
        kind=("billingItemType",),
        kinds=ITEM_TYPES,
        agreement=("contractID",),
        product=("productID", "serviceID"),
        vendor_sku=("vendorSku",),
        unit_cost=("ourCost",),
        period_start=("periodStart",),
        period_end=("periodEnd",),
    ),
    void=("isVoided",),
)

KINDS = [
    Kind(
        "autotask.companies",
        "Autotask Companies (REST items or CSV) → psa.client.upserted",
        lambda o: Import(SOURCE, lambda row: convert_client(row, COMPANIES, o)),
    ),
    Kind(
        "autotask.contracts",
        "Autotask Contracts; ContractServices via --set additions=FILE → psa.agreement.upserted",
        lambda o: AgreementImport(SOURCE, CONTRACTS, o),
    ),
    Kind(
        "autotask.resources",
        "Autotask Resources with internal cost (--set cost_history=FILE) → psa.technician.upserted",
        lambda o: TechnicianImport(SOURCE, RESOURCES, COST_HISTORY, o),
    ),
    Kind(
        "autotask.tickets",
        "Autotask Tickets → psa.ticket.updated",
        lambda o: Import(SOURCE, lambda row: convert_ticket(row, TICKETS, o)),
    ),
    Kind(
        "autotask.time-entries",
        "Autotask TimeEntries with the ticket's companyID → psa.time_entry.logged",
        lambda o: Import(SOURCE, lambda row: convert_time_entry(row, TIME_ENTRIES, o)),
    ),
    Kind(
        "autotask.invoices",
        "Autotask Invoices with embedded billingItems → billing.invoice.issued",
        lambda o: InvoiceImport(SOURCE, INVOICES, o),
    ),
]
