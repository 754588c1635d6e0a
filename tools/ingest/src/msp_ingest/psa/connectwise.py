"""ConnectWise PSA (Manage) exports → PSA and billing fact events.

JSON as the REST API returns it (camelCase, nested references such as
``{"company": {"id": 250, "identifier": "HarborDental", "name": "Harbor Dental"}}``) or CSV with
the same names (``startDate``, ``start_date`` and ``company/id``, ``company_id`` are one column).
Ids are ConnectWise's numeric ids as strings (company ``250`` → ``"250"``); product ids are the
catalog ``identifier``. Amounts take ``currency/currencyCode`` when present, else ``--currency``.

``connectwise.companies`` (``company/companies``) → ``psa.client.upserted``

| column | field | rule |
|---|---|---|
| ``id`` | client_id | required |
| ``name`` | name | required |
| ``types[0].name`` (``type/name``) | status | Client → active, Prospect → prospect, Former Client → churned, Owner → active (the MSP itself: internal time is charged to it) |
| ``status/name`` | status | Inactive → inactive (while the type says active); ``deletedFlag`` → inactive |
| ``addressLine1``, ``city``, ``state``, ``zip`` | address | optional |
| ``country/name`` | country | any ISO 3166 name or alpha-2/alpha-3/numeric code (pycountry), UK → GB; else rejected |
| ``market/name``, ``numberOfEmployees`` | industry, employee_count | optional |
| ``currency/currencyCode`` | currency | else ``--currency``, else none |
| ``dateAcquired`` (``_info/dateEntered``) | created_on | required |
| ``_info/lastUpdated`` | updated_at | event time (else created_on) |

``connectwise.agreements`` (``finance/agreements`` + additions) → ``psa.agreement.upserted``

| column | field | rule |
|---|---|---|
| ``id``, ``name``, ``company/id`` | agreement_id, name, client_id | required |
| ``type/name`` | agreement_type | Managed/Fixed/MSP → managed_services; Block/Prepaid/Bank/Retainer → block_hours; T&M/Time & Materials/Break Fix → time_and_materials; Project → project |
| ``parentAgreement/id`` (older API versions: ``parentAgreementId``) | parent_agreement_id | optional |
| ``startDate``, ``endDate`` | start_date, end_date | ``noEndingDateFlag`` → no end date |
| ``billingCycle/name`` | billing_cycle | Monthly, Quarterly, Semi-Annual, Annual/Yearly, One Time |
| ``billAmount`` | bill_amount | required, ≥ 0 |
| ``applicationLimit`` | included_hours | only when ``applicationUnits`` is Hours (Amount/Incidents are not hours) |
| ``carryOverUnused``, ``coverAgreementTime`` | carry_over_unused, covers_labour | optional |
| ``cancelledFlag``, ``dateCancelled``, ``reasonCancelled`` | cancelled, cancelled_date, cancellation_reason | a cancel date alone also means cancelled |
| ``opportunity/id``, ``_info/lastUpdated`` | opportunity_id, updated_at | event time = lastUpdated, else start date |

Agreements have no hourly rate in the API (rates live on work types/roles): none is read.

Additions (``finance/agreements/{id}/additions``): embedded as an ``additions`` list, or a separate
file given with ``--set additions=FILE`` (each row names its ``agreementId``; an addition whose
agreement is not in the export is rejected at its own line). Additions carry no currency: their
amounts are in their agreement's ``currency/currencyCode`` (else ``--currency``). They carry no
vendor SKU either (vendor_sku stays empty; licence SKUs come from the distributor import).

| column | Addition field | rule |
|---|---|---|
| ``agreementId`` (``agreement/id``) | (which agreement) | required in a separate file |
| ``id``, ``product/identifier`` | addition_id, product_id | product required |
| ``description`` (``invoiceDescription``) | description | else the product id |
| ``quantity``, ``unitPrice``, ``unitCost`` | quantity, unit_price, unit_cost | required: a missing cost would overstate margin |
| ``billCustomer`` | bill_customer | Billable, DoNotBill → do_not_bill, NoCharge → no_charge |
| ``effectiveDate``, ``cancelledDate`` | same | optional |

``connectwise.members`` (``system/members``) → ``psa.technician.upserted``

| column | field | rule |
|---|---|---|
| ``id`` | technician_id | required (time entries reference ``member/id``) |
| ``firstName`` + ``lastName`` | name | required |
| ``officeEmail``, ``workRole/name`` (``title``) | email, work_role | work role required |
| ``timeZone/name`` | time_zone | any IANA name (tzdata) or Windows zone id (CLDR map as tzlocal ships it) → IANA |
| ``dailyCapacity`` | daily_capacity_hours | else ``--set daily_capacity=`` (default 8) |
| ``includeInUtilizationReportingFlag``, ``inactiveFlag`` | include_in_utilisation, active | |
| ``hourlyCost`` | cost_rates | a Member has no cost-effective date: from ``hireDate`` (else ``_info/dateEntered``), or, with ``--set cost_history=FILE`` (``memberId, effectiveFrom, hourlyCost``), from the history's latest rate, which must equal it; the history adds the earlier rates |
| ``hourlyRate`` | hourly_rate | optional |

``connectwise.tickets`` (``service/tickets``) → ``psa.ticket.updated``

| column | field | rule |
|---|---|---|
| ``id``, ``company/id``, ``agreement/id`` | ticket_id, client_id, agreement_id | |
| ``summary``, ``board/name`` | summary, board | board required |
| ``priority/name`` | priority | Priority 1/Emergency → p1, 2/Quick/High → p2, 3/Normal/Medium → p3, 4/Schedule/Low → p4 |
| ``status/name`` | status | New; In Progress/Assigned; Scheduled; Waiting */On Hold → waiting; Resolved/Completed → resolved; Closed/Cancelled → closed |
| ``type/name`` | ticket_type | Incident, Service Request, Problem, Change, Alert/Monitoring |
| ``_info/dateEntered`` (``dateEntered``), ``dateResponded``, ``closedDate`` | opened_at, responded_at, closed_at | |
| ``isInSla`` | sla_breached | false → breached (tickets have no respond-by/resolve-by dates or required skill in the API: not read) |
| ``budgetHours``, ``actualHours`` | estimated_hours, actual_hours | |
| ``owner/id``, ``site/id`` | assigned_technician_id, site_id | |
| ``_info/lastUpdated`` | updated_at | event time (else closed, else opened) |

``connectwise.time-entries`` (``time/entries``) → ``psa.time_entry.logged``

| column | field | rule |
|---|---|---|
| ``id``, ``company/id``, ``member/id``, ``agreement/id`` | ids | company and member required |
| ``chargeToId`` | ticket_id | only when ``chargeToType`` is ServiceTicket/ProjectTicket |
| ``timeStart``, ``timeEnd`` | time_start, time_end, work_date | work date = start in ``--set timezone=`` (default UTC) |
| ``actualHours`` | hours | 0-24 |
| ``workType/name``, ``workRole/name`` | work_type, work_role | PTO/Holiday/Vacation/Sick → absence |
| (``workType`` is ``{id, name}`` only) | work_type_cost_multiplier | ``--set "cost_multiplier.<work type>=1.5"``, else the work-type file ``--set work_types=FILE`` (``time/workTypes``: ``id``, ``name``, ``costMultiplier``) by id, else name; a joined ``workType/costMultiplier`` column wins; else none |
| ``billableOption`` | billable_option | Billable, NoDefault (follows the work type's default, which bills) → billable, DoNotBill → non_billable, NoCharge → no_charge |
| ``hoursBilled``, ``hoursDeduct`` | hours_billed, hours_deducted | billed defaults to hours when billable, else 0 |
| ``hourlyRate`` | hourly_rate | billable entries only |
| ``invoice/id``, ``notes`` | invoice_id, notes | |

``connectwise.invoices`` (``finance/invoices``) → ``billing.invoice.issued``

| column | field | rule |
|---|---|---|
| ``id``, ``invoiceNumber``, ``company/id`` | invoice_id, invoice_number, client_id | |
| ``date``, ``dueDate`` | invoice_date, due_date | event time = invoice date |
| ``currency/currencyCode`` | currency | else ``--currency`` |
| ``salesTax``, ``total`` | tax, total | total must equal lines + tax |
| ``lines`` (JSON) or one CSV row per line | lines | ``lineType``, ``agreementId``, ``productId``, ``vendorSku``, ``description``, ``quantity``, ``unitPrice``, ``unitCost``, ``amount``, ``periodStart``, ``periodEnd`` |
| (header only) ``agreementAmount``, ``serviceTotal``, ``productTotal``, ``expenseTotal`` | lines | one line per non-zero total: agreement_fee (``applyToId`` when ``applyToType`` is Agreement), labour, product, expense |

Line type: see ``common.line_type`` (type column → SKU/licence words → agreement → product → other).

``connectwise.payments`` (``finance/invoices/{id}/payments``) → ``billing.payment.received``:
``id``, ``invoice/id``, ``paymentDate``, ``amount`` (> 0), ``type`` (Check, Credit Card, ACH, Wire →
method). A payment has no company and no currency (``id, amount, appliedBy, credit, invoice,
paymentDate, type``): both come from the invoice it applies to, read from the invoices export given
with ``--set invoices=FILE`` (as ``connectwise.invoices`` reads it). Without the file, or for an
invoice not in it, the payment is rejected naming the setting or the invoice; a ``company/id``
column, when an export joins one, must agree with the invoice's client.
"""  # noqa: E501

from __future__ import annotations

from msp_ingest.options import Kind
from msp_ingest.psa.agreements import (
    AdditionColumns,
    AgreementColumns,
    AgreementImport,
    AgreementKind,
    BillCustomer,
    BillingCycle,
)
from msp_ingest.psa.clients import ClientColumns, ClientStatus, convert_client
from msp_ingest.psa.invoices import InvoiceColumns, InvoiceImport, InvoiceLineColumns
from msp_ingest.psa.payments import PaymentColumns, PaymentImport
from msp_ingest.psa.reading import Import, Vocab
from msp_ingest.psa.technicians import CostHistoryColumns, TechnicianColumns, TechnicianImport
from msp_ingest.psa.tickets import Priority, TicketColumns, TicketStatus, TicketType, convert_ticket
from msp_ingest.psa.time_entries import BillableOption, TimeEntryColumns, convert_time_entry

SOURCE = "psa.connectwise"
CURRENCY = ("currency/currencyCode", "currency")

COMPANY_TYPES: Vocab[ClientStatus] = Vocab(
    "company_type",
    ("prospect", "active", "inactive", "churned"),
    exact={"client": "active", "customer": "active", "owner": "active", "prospect": "prospect"},
    keywords=(("former", "churned"), ("prospect", "prospect"), ("lead", "prospect"), ("client", "active")),
)
COMPANY_STATUSES: Vocab[ClientStatus] = Vocab(
    "company_status",
    ("prospect", "active", "inactive", "churned"),
    exact={"active": "active", "inactive": "inactive"},
    keywords=(("inactive", "inactive"), ("not-approved", "active"), ("hold", "active"), ("active", "active")),
)
COMPANIES = ClientColumns(
    id=("id",),
    name=("name",),
    created=("dateAcquired", "_info/dateEntered", "dateEntered"),
    kind=("types", "type/name", "type"),
    kinds=COMPANY_TYPES,
    status=("status/name", "status"),
    statuses=COMPANY_STATUSES,
    inactive=("deletedFlag",),
    tier=("tier",),
    industry=("market/name", "market"),
    employees=("numberOfEmployees",),
    address=("addressLine1",),
    city=("city",),
    state=("state",),
    postal=("zip",),
    country=("country/name", "country/identifier", "country"),
    currency=CURRENCY,
    updated=("_info/lastUpdated", "lastUpdated"),
)

AGREEMENT_TYPES: Vocab[AgreementKind] = Vocab(
    "agreement_type",
    ("managed_services", "block_hours", "time_and_materials", "project"),
    keywords=(
        ("managed", "managed_services"),
        ("msp", "managed_services"),
        ("fixed", "managed_services"),
        ("block", "block_hours"),
        ("prepaid", "block_hours"),
        ("bank", "block_hours"),
        ("retainer", "block_hours"),
        ("t&m", "time_and_materials"),
        ("time & material", "time_and_materials"),
        ("time and material", "time_and_materials"),
        ("break fix", "time_and_materials"),
        ("project", "project"),
    ),
)
BILLING_CYCLES: Vocab[BillingCycle] = Vocab(
    "billing_cycle",
    ("monthly", "quarterly", "semi_annual", "annual", "one_time"),
    exact={"monthly": "monthly", "quarterly": "quarterly", "annual": "annual", "yearly": "annual"},
    keywords=(
        ("semi", "semi_annual"),
        ("bi-annual", "semi_annual"),
        ("one", "one_time"),
        ("annual", "annual"),
    ),
)
BILL_CUSTOMER: Vocab[BillCustomer] = Vocab(
    "bill_customer",
    ("billable", "do_not_bill", "no_charge"),
    exact={"billable": "billable", "donotbill": "do_not_bill", "nocharge": "no_charge"},
    keywords=(("not", "do_not_bill"), ("no charge", "no_charge")),
)
ADDITIONS = AdditionColumns(
    agreement=("agreementId", "agreement/id"),
    product=("product/identifier", "productIdentifier", "product/id"),
    quantity=("quantity",),
    unit_price=("unitPrice",),
    unit_cost=("unitCost",),
    id=("id",),
    description=("description", "invoiceDescription"),
    effective=("effectiveDate",),
    cancelled=("cancelledDate",),
    bill=("billCustomer",),
    bills=BILL_CUSTOMER,
    currency=CURRENCY,
)
AGREEMENTS = AgreementColumns(
    id=("id",),
    client=("company/id",),
    name=("name",),
    start=("startDate",),
    bill_amount=("billAmount",),
    kind=("type/name", "type"),
    kinds=AGREEMENT_TYPES,
    cycle=("billingCycle/name", "billingCycle"),
    cycles=BILLING_CYCLES,
    parent=("parentAgreement/id", "parentAgreementId"),
    end=("endDate",),
    no_end=("noEndingDateFlag",),
    included_hours=("applicationLimit",),
    included_units=("applicationUnits",),
    carry_over=("carryOverUnused",),
    covers_labour=("coverAgreementTime",),
    cancelled=("cancelledFlag",),
    cancelled_date=("dateCancelled",),
    cancel_reason=("reasonCancelled",),
    opportunity=("opportunity/id",),
    updated=("_info/lastUpdated", "lastUpdated"),
    currency=CURRENCY,
    addition=ADDITIONS,
)

MEMBERS = TechnicianColumns(
    id=("id",),
    first_name=("firstName",),
    last_name=("lastName",),
    email=("officeEmail", "email"),
    role=("workRole/name", "title"),
    time_zone=("timeZone/name", "timeZone"),
    capacity=("dailyCapacity",),
    in_utilisation=("includeInUtilizationReportingFlag",),
    hourly_cost=("hourlyCost",),
    created=("hireDate", "_info/dateEntered"),
    hourly_rate=("hourlyRate",),
    inactive=("inactiveFlag",),
    updated=("_info/lastUpdated", "lastUpdated"),
    currency=CURRENCY,
)
COST_HISTORY = CostHistoryColumns(member=("memberId", "member/id", "member_id"))

PRIORITIES: Vocab[Priority] = Vocab(
    "priority",
    ("p1", "p2", "p3", "p4"),
    keywords=(
        ("priority 1", "p1"),
        ("emergency", "p1"),
        ("critical", "p1"),
        ("priority 2", "p2"),
        ("quick", "p2"),
        ("high", "p2"),
        ("priority 3", "p3"),
        ("normal", "p3"),
        ("medium", "p3"),
        ("priority 4", "p4"),
        ("schedule", "p4"),
        ("low", "p4"),
    ),
)
TICKET_STATUSES: Vocab[TicketStatus] = Vocab(
    "ticket_status",
    ("new", "in_progress", "scheduled", "waiting", "resolved", "closed"),
    keywords=(
        ("closed", "closed"),
        ("cancel", "closed"),
        ("resolv", "resolved"),
        ("complet", "resolved"),
        ("wait", "waiting"),
        ("hold", "waiting"),
        ("schedul", "scheduled"),
        ("progress", "in_progress"),
        ("assigned", "in_progress"),
        ("acknowledg", "in_progress"),
        ("new", "new"),
    ),
)
TICKET_TYPES: Vocab[TicketType] = Vocab(
    "ticket_type",
    ("incident", "service_request", "problem", "change", "alert"),
    keywords=(
        ("incident", "incident"),
        ("request", "service_request"),
        ("problem", "problem"),
        ("change", "change"),
        ("alert", "alert"),
        ("monitor", "alert"),
    ),
)
TICKETS = TicketColumns(
    id=("id",),
    client=("company/id",),
    board=("board/name", "board"),
    priority=("priority/name", "priority"),
    priorities=PRIORITIES,
    status=("status/name", "status"),
    statuses=TICKET_STATUSES,
    opened=("_info/dateEntered", "dateEntered"),
    updated=("_info/lastUpdated", "lastUpdated"),
    agreement=("agreement/id",),
    summary=("summary",),
    kind=("type/name", "type"),
    kinds=TICKET_TYPES,
    responded=("dateResponded",),
    closed=("closedDate",),
    sla_met=("isInSla",),
    estimated=("budgetHours",),
    actual=("actualHours",),
    site=("site/id",),
    assignee=("owner/id",),
)

BILLABLE: Vocab[BillableOption] = Vocab(
    "billable_option",
    ("billable", "non_billable", "no_charge"),
    # NoDefault: the entry follows its work type / agreement default, which bills unless they
    # say otherwise (map it per instance with --set billable_option.NoDefault=...)
    exact={
        "billable": "billable",
        "donotbill": "non_billable",
        "nocharge": "no_charge",
        "nodefault": "billable",
    },
    keywords=(("do not", "non_billable"), ("no charge", "no_charge")),
)
TIME_ENTRIES = TimeEntryColumns(
    id=("id",),
    client=("company/id",),
    technician=("member/id",),
    hours=("actualHours",),
    work_type=("workType/name", "workType"),
    agreement=("agreement/id",),
    ticket=("chargeToId",),
    charge_type=("chargeToType",),
    start=("timeStart",),
    end=("timeEnd",),
    work_role=("workRole/name", "workRole"),
    multiplier=("workType/costMultiplier", "costMultiplier"),
    work_type_id=("workType/id",),
    billable=("billableOption",),
    billables=BILLABLE,
    hours_billed=("hoursBilled",),
    hours_deducted=("hoursDeduct",),
    hourly_rate=("hourlyRate",),
    invoice=("invoice/id",),
    notes=("notes",),
    currency=CURRENCY,
)

INVOICES = InvoiceColumns(
    id=("id",),
    client=("company/id",),
    date=("date",),
    due=("dueDate",),
    number=("invoiceNumber",),
    currency=CURRENCY,
    tax=("salesTax",),
    total=("total",),
    lines=("lines",),
    line=InvoiceLineColumns(
        description=("description",),
        quantity=("quantity",),
        unit_price=("unitPrice",),
        amount=("amount", "extendedPrice"),
        kind=("lineType",),
        agreement=("agreementId", "agreement/id"),
        product=("productId", "product/identifier"),
        vendor_sku=("vendorSku",),
        unit_cost=("unitCost",),
        period_start=("periodStart",),
        period_end=("periodEnd",),
    ),
    totals=(
        (("agreementAmount",), "agreement_fee", "Agreement"),
        (("serviceTotal",), "labour", "Services"),
        (("productTotal",), "product", "Products"),
        (("expenseTotal",), "expense", "Expenses"),
    ),
    agreement=("applyToId",),
    agreement_when=("applyToType",),
)

PAYMENTS = PaymentColumns(
    id=("id",),
    invoice=("invoice/id", "invoiceId"),
    client=("company/id", "invoice/company/id"),
    date=("paymentDate",),
    amount=("amount",),
    currency=CURRENCY,
    method=("type", "paymentType"),
)


KINDS = [
    Kind(
        "connectwise.companies",
        "ConnectWise company/companies (REST JSON or CSV) → psa.client.upserted",
        lambda o: Import(SOURCE, lambda row: convert_client(row, COMPANIES, o)),
    ),
    Kind(
        "connectwise.agreements",
        "ConnectWise finance/agreements; additions embedded or --set additions=FILE → psa.agreement.upserted",
        lambda o: AgreementImport(SOURCE, AGREEMENTS, o),
    ),
    Kind(
        "connectwise.members",
        "ConnectWise system/members with hourlyCost (--set cost_history=FILE) → psa.technician.upserted",
        lambda o: TechnicianImport(SOURCE, MEMBERS, COST_HISTORY, o),
    ),
    Kind(
        "connectwise.tickets",
        "ConnectWise service/tickets → psa.ticket.updated",
        lambda o: Import(SOURCE, lambda row: convert_ticket(row, TICKETS, o)),
    ),
    Kind(
        "connectwise.time-entries",
        "ConnectWise time/entries (--set timezone=, cost_multiplier.<type>=) → psa.time_entry.logged",
        lambda o: Import(SOURCE, lambda row: convert_time_entry(row, TIME_ENTRIES, o)),
    ),
    Kind(
        "connectwise.invoices",
        "ConnectWise finance/invoices (lines, or header totals as typed lines) → billing.invoice.issued",
        lambda o: InvoiceImport(SOURCE, INVOICES, o),
    ),
    Kind(
        "connectwise.payments",
        "ConnectWise payments; client and currency from --set invoices=FILE → billing.payment.received",
        lambda o: PaymentImport(SOURCE, PAYMENTS, INVOICES, o),
    ),
]
