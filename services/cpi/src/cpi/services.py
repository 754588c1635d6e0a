"""CPI's use cases: each runs inside the unit of work the runtime opened for one event.

A fact use case stores the fact (newer wins, keyed by the entity's id), marks the ledger keys it
changed, and ends with ``_settle``: the marked keys are recomputed set-wise, closed months a late
fact changed are re-judged, and months the clock has closed since the last message are judged.
Within a runtime batch, time entries and licence findings are held and written set-wise, late ones
too (``_DeferredLedger``: one read and one upsert per table, a late fact re-judged in its own
message's name), and facts for open months that close nothing leave their keys to one recompute
per batch; what is emitted is the same either way, because judging reads closed months only, held
facts are written before any other message reads or changes what they feed, and a settle that
closes a month flushes the batch's pending keys first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select, text
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import (
    ClientProfitabilityChanged,
    LicenseComplianceViolation,
    MarginDriver,
)
from msp_events.types.billing import InvoiceIssued
from msp_events.types.licensing import SubscriptionUpserted
from msp_events.types.psa import AgreementUpserted, TechnicianUpserted, TimeEntryLogged

from cpi import voting
from cpi.domain.alerts import Judgement, Policy, judge, summary
from cpi.domain.clients import ClientVersion, supersedes
from cpi.domain.costing import (
    LEDGER_QUANTUM,
    RateInput,
    RatePeriod,
    first_difference,
    normalise_rates,
    per_month,
    product_key,
    split_over_months,
)
from cpi.domain.ledger import MonthLines, cents
from cpi.domain.months import add_months, last_closed_month, month_of, months_between
from cpi.store import facts, ledger
from cpi.store.repository import ClientRepository, client_month_lines
from cpi.store.tables import (
    Agreement,
    AgreementAddition,
    Client,
    Invoice,
    InvoiceLineMonth,
    LedgerClose,
    LicenceLeakage,
    MarginJudgement,
    SubscriptionVersion,
    Technician,
    TechnicianRate,
    TimeEntry,
)

COSTED_SUBSCRIPTION = ("active", "pending")
LEAKAGE_KINDS = ("over_deployed", "unused_seats", "unbilled_seats", "expired")
"""Findings that cost the MSP money; ``over_billed`` (the client pays too much) is not leakage."""


@dataclass(frozen=True)
class LedgerConfig:
    policy: Policy = field(default_factory=Policy)
    grace_days: int = 5


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(LEDGER_QUANTUM, rounding=ROUND_HALF_UP)


def _newer(as_of: datetime, digest: str, row_as_of: datetime | None, row_digest: str | None) -> bool:
    return row_as_of is None or (as_of, digest) > (row_as_of, row_digest or "")


# -- master data -----------------------------------------------------------------------------------


def record_client(uow: UnitOfWork, client: ClientVersion, config: LedgerConfig | None = None) -> bool:
    """Keep the client's latest master data; returns False for a stale (older) version. A new or
    changed client releases its held facts and re-prices its months (its currency may change)."""
    _write_facts(uow)
    clients = ClientRepository(uow.session)
    fresh = supersedes(client, clients.get(client.client_id))
    if fresh:
        clients.save(client)
        ledger.mark_client(uow.session, uow.cause.id, client.client_id)
    _settle(uow, config or LedgerConfig(), marked=fresh)
    return fresh


def record_agreement(uow: UnitOfWork, a: AgreementUpserted, at: datetime, config: LedgerConfig) -> None:
    _write_facts(uow)
    session = uow.session
    as_of, digest = a.updated_at or at, a.digest()
    row = session.get(Agreement, a.agreement_id)
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
        return _settle(uow, config)
    old_client = row.client_id if row is not None else None
    end = a.cancelled_date if a.cancelled and a.cancelled_date else a.end_date
    fixed = a.agreement_type == "managed_services" or bool(a.covers_labour)
    values = {
        "client_id": a.client_id,
        "name": a.name,
        "agreement_type": a.agreement_type,
        "currency": a.bill_amount.currency,
        "bill_amount": a.bill_amount.amount,
        "billing_cycle": a.billing_cycle,
        "monthly_fee": per_month(a.bill_amount.amount, a.billing_cycle) if fixed else None,
        "included_hours": a.included_hours,
        "monthly_included_hours": per_month(a.included_hours, a.billing_cycle)
        if a.included_hours is not None
        else None,
        "fixed_fee": fixed,
        "start_date": a.start_date,
        "end_date": end,
        "start_month": month_of(a.start_date),
        "end_month": month_of(end) if end else None,
        "as_of": as_of,
        "digest": digest,
    }
    row = row or Agreement(agreement_id=a.agreement_id, **values)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.execute(delete(AgreementAddition).where(AgreementAddition.agreement_id == a.agreement_id))  # type: ignore[arg-type]
    for n, add in enumerate(a.additions):
        first = add.effective_date or a.start_date
        cycle_cost = add.quantity * add.unit_cost.amount
        cycle_price = add.quantity * add.unit_price.amount
        monthly_cost = per_month(cycle_cost, a.billing_cycle)
        session.add(
            AgreementAddition(
                agreement_id=a.agreement_id,
                line_no=n,
                product_id=product_key(add.product_id) or "",
                vendor_sku=add.vendor_sku,
                quantity=add.quantity,
                monthly_price=per_month(cycle_price, a.billing_cycle) or _q(cycle_price),
                monthly_cost=monthly_cost if monthly_cost is not None else _q(cycle_cost),
                currency=add.unit_cost.currency,
                from_month=month_of(first),
                # a one-time line is costed in its first month only
                to_month=month_of(first)
                if monthly_cost is None
                else (month_of(add.cancelled_date) if add.cancelled_date else None),
            )
        )
    for client_id in {a.client_id, old_client} - {None}:
        ledger.mark_client(session, uow.cause.id, str(client_id))
    _settle(uow, config, marked=True)


def _periods(session: Session, technician_id: str) -> list[RatePeriod]:
    rows = session.execute(
        select(TechnicianRate)
        .where(TechnicianRate.technician_id == technician_id)  # type: ignore[arg-type]
        .order_by(TechnicianRate.valid_from)  # type: ignore[arg-type]
    ).scalars()
    return [RatePeriod(r.valid_from, r.valid_to, r.hourly_cost, r.currency) for r in rows]


def record_technician(uow: UnitOfWork, t: TechnicianUpserted, at: datetime, config: LedgerConfig) -> None:
    """Keep the technician's cost-rate periods; a changed rate re-costs the entries worked on or
    after the first date it changes (never earlier ones); a new technician releases held time."""
    _write_facts(uow)
    session = uow.session
    as_of, digest = t.updated_at or at, t.digest()
    row = session.get(Technician, t.technician_id)
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
        return _settle(uow, config)
    new = normalise_rates(
        [
            RateInput(r.effective_from, r.effective_to, r.hourly_cost.amount, r.hourly_cost.currency)
            for r in t.cost_rates
        ]
    )
    if row is None:
        since: date | None = date.min
        row = Technician(technician_id=t.technician_id, name=t.name, as_of=as_of, digest=digest)
    else:
        since = first_difference(_periods(session, t.technician_id), new)
    row.name, row.as_of, row.digest = t.name, as_of, digest
    session.add(row)
    if since is not None:
        session.execute(delete(TechnicianRate).where(TechnicianRate.technician_id == t.technician_id))  # type: ignore[arg-type]
        for p in new:
            session.add(
                TechnicianRate(
                    technician_id=t.technician_id,
                    valid_from=p.valid_from,
                    valid_to=p.valid_to,
                    hourly_cost=p.hourly_cost,
                    currency=p.currency,
                )
            )
        ledger.mark_technician(session, uow.cause.id, t.technician_id, since)
    _settle(uow, config, marked=since is not None)


# -- transactions ---------------------------------------------------------------------------------


def record_time_entry(uow: UnitOfWork, e: TimeEntryLogged, at: datetime, config: LedgerConfig) -> None:
    """Keep the entry (a correction re-sent with the same id replaces it: the later event wins)."""
    digest = e.digest()
    rate = e.hourly_rate
    values = {
        "time_entry_id": e.time_entry_id,
        "client_id": e.client_id,
        "technician_id": e.technician_id,
        "agreement_id": e.agreement_id or ledger.NO_AGREEMENT,
        "work_date": e.work_date,
        "month": month_of(e.work_date),
        "hours": e.hours,
        "hours_deducted": e.hours_deducted if e.hours_deducted is not None else e.hours,
        "multiplier": e.work_type_cost_multiplier if e.work_type_cost_multiplier is not None else Decimal(1),
        "time_value": _q(e.hours * rate.amount) if rate is not None else None,
        "value_currency": rate.currency if rate is not None else None,
        "absence": e.absence,
        "as_of": at,
        "digest": digest,
    }
    if _hold(uow, config, "time_entries", (e.time_entry_id,), values):
        return
    session = uow.session
    row = session.get(TimeEntry, e.time_entry_id)
    if row is not None and not _newer(at, digest, row.as_of, row.digest):
        return _settle(uow, config)
    keys = [] if row is None else [(row.client_id, row.agreement_id, row.month)]
    row = row or TimeEntry(**values)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    keys.append((row.client_id, row.agreement_id, row.month))
    _settle(uow, config, [row.month], keys)


def _line_months(start: date | None, end: date | None, fallback: date) -> list[str]:
    if start is None or end is None or end < start:
        return [month_of(start or fallback)]
    return list(months_between(month_of(start), month_of(end)))


def record_invoice(uow: UnitOfWork, inv: InvoiceIssued, at: datetime, config: LedgerConfig) -> None:
    """Keep the invoice's lines, each spread evenly over the months of its service period (cents,
    remainder in the last month); an adjusted invoice re-sent with the same id replaces them."""
    _write_facts(uow)
    session = uow.session
    as_of, digest = inv.issued_at or at, inv.digest()
    row = session.get(Invoice, inv.invoice_id)
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
        return _settle(uow, config)
    old = session.execute(
        select(InvoiceLineMonth).where(InvoiceLineMonth.invoice_id == inv.invoice_id)  # type: ignore[arg-type]
    ).scalars()
    keys = [(r.client_id, r.agreement_id, r.month) for r in old]
    session.execute(delete(InvoiceLineMonth).where(InvoiceLineMonth.invoice_id == inv.invoice_id))  # type: ignore[arg-type]
    row = row or Invoice(
        invoice_id=inv.invoice_id,
        client_id=inv.client_id,
        currency=inv.currency,
        invoice_date=inv.invoice_date,
        as_of=as_of,
        digest=digest,
    )
    row.client_id, row.currency, row.invoice_date, row.as_of, row.digest = (
        inv.client_id,
        inv.currency,
        inv.invoice_date,
        as_of,
        digest,
    )
    session.add(row)
    months_used: set[str] = set()
    for n, line in enumerate(inv.lines):
        months = _line_months(line.period_start, line.period_end, inv.invoice_date)
        amounts = split_over_months(line.amount.amount, len(months))
        cost = _q(line.quantity * line.unit_cost.amount) if line.unit_cost is not None else None
        costs = split_over_months(cost, len(months)) if cost is not None else [None] * len(months)
        agreement = line.agreement_id or ledger.NO_AGREEMENT
        for month, amount, share in zip(months, amounts, costs, strict=True):
            session.add(
                InvoiceLineMonth(
                    invoice_id=inv.invoice_id,
                    line_no=n,
                    month=month,
                    client_id=inv.client_id,
                    agreement_id=agreement,
                    line_type=line.line_type,
                    vendor_sku=line.vendor_sku,
                    product_id=product_key(line.product_id),
                    amount=amount,
                    cost=share,
                    currency=line.amount.currency,
                )
            )
            keys.append((inv.client_id, agreement, month))
            months_used.add(month)
    _settle(uow, config, months_used, keys)


def record_subscription(uow: UnitOfWork, s: SubscriptionUpserted, at: datetime, config: LedgerConfig) -> None:
    """Keep the subscription's state as seen in the month it was reported; each state applies from
    that month until the next one (the first also back to the start date), so a quantity change
    never re-prices months before it."""
    _write_facts(uow)
    session = uow.session
    as_of, digest = s.updated_at or at, s.digest()
    observed = month_of(as_of)
    row = session.get(SubscriptionVersion, (s.subscription_id, observed))
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
        return _settle(uow, config)
    clients = {v.client_id for v in _versions(session, s.subscription_id)} | {s.client_id}
    # An unknown unit cost (licensing.subscription.upserted 1.1 leaves it out) costs nothing it can
    # prove: the version is kept for its seats and price but not costed, instead of a made-up zero.
    known = s.unit_cost is not None
    values = {
        "client_id": s.client_id,
        "sku_id": s.sku_id,
        "quantity": s.quantity,
        "monthly_cost": _q(s.unit_cost.amount * s.quantity) if s.unit_cost is not None else Decimal(0),
        "monthly_price": _q(s.unit_price.amount * s.quantity),
        "currency": (s.unit_cost or s.unit_price).currency,
        "costed": known and s.status in COSTED_SUBSCRIPTION,
        "from_month": observed,
        "to_month": None,
        "as_of": as_of,
        "digest": digest,
    }
    row = row or SubscriptionVersion(subscription_id=s.subscription_id, observed_month=observed, **values)
    start = month_of(s.start_date) if s.start_date else None
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    ordered = _versions(session, s.subscription_id)
    for i, version in enumerate(ordered):
        version.from_month = (
            version.observed_month if i or start is None else min(start, version.observed_month)
        )
        version.to_month = add_months(ordered[i + 1].observed_month, -1) if i + 1 < len(ordered) else None
        session.add(version)
    for client_id in sorted(clients):
        ledger.mark_client(session, uow.cause.id, client_id)
    _settle(uow, config, marked=True)


def _versions(session: Session, subscription_id: str) -> list[SubscriptionVersion]:
    return list(
        session.execute(
            select(SubscriptionVersion)
            .where(SubscriptionVersion.subscription_id == subscription_id)  # type: ignore[arg-type]
            .order_by(SubscriptionVersion.observed_month)  # type: ignore[arg-type]
        ).scalars()
    )


def record_leakage(
    uow: UnitOfWork, v: LicenseComplianceViolation, at: datetime, config: LedgerConfig
) -> None:
    """Attach a licence finding's monthly exposure to the client's month it was reported in (the
    latest report of the finding in a month wins); ``over_billed`` findings are kept out."""
    session = uow.session
    if v.kind not in LEAKAGE_KINDS:
        return _settle(uow, config)
    month, digest = month_of(at), v.digest()
    values = {
        "violation_id": v.violation_id,
        "month": month,
        "client_id": v.client_id,
        "agreement_id": v.agreement_id or ledger.NO_AGREEMENT,
        "kind": v.kind,
        "sku_id": v.sku_id,
        "seats_affected": v.seats_affected,
        "exposure": v.monthly_exposure.amount,
        "currency": v.monthly_exposure.currency,
        "summary": v.summary,
        "as_of": at,
        "digest": digest,
    }
    if _hold(uow, config, "licence_leakage", (v.violation_id, month), values):
        return
    row = session.get(LicenceLeakage, (v.violation_id, month))
    if row is not None and not _newer(at, digest, row.as_of, row.digest):
        return _settle(uow, config)
    keys = [] if row is None else [(row.client_id, row.agreement_id, row.month)]
    row = row or LicenceLeakage(**values)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    keys.append((row.client_id, row.agreement_id, month))
    _settle(uow, config, [month], keys)


def on_clock(uow: UnitOfWork, config: LedgerConfig) -> None:
    """The clock moved: extend the calendar (recurring lines of a new month) and judge the months
    that have closed. Churn scoring reads the ledger next: nothing may stay deferred."""
    _write_facts(uow)
    _settle(uow, config, reads_ledger=True)


# -- settling: recompute, re-judge, close ---------------------------------------------------------

DEFERRED_LEDGER = "cpi.ledger"
DEFERRED_TOKEN = "deferred"


@dataclass(frozen=True)
class _Held:
    """One message's single-row fact, held for the batch's set-wise write."""

    uow: UnitOfWork
    config: LedgerConfig
    table: str
    key: tuple[str, ...]
    values: dict[str, Any]


@dataclass
class _Step:
    """What one held fact does once the facts before it are applied: the ledger keys it changes
    (none when a newer version is stored), the months it wants in the calendar, and whether any of
    its keys is in a closed month (a late fact, re-judged in its own message's name)."""

    held: _Held
    keys: list[ledger.Key]
    months: set[str]
    late_clients: set[str]


@dataclass
class _DeferredLedger:
    """A batch's facts, written set-wise, and the ledger work they leave (``UnitOfWork.batch``).

    * Held facts (time entries, licence findings) are written with one read and one upsert per
      table (``write``), before any other CPI message of the batch is handled and before the
      commit. A fact whose keys are all in open months leaves them here; a *late* fact (a key in a
      closed month) has its keys recomputed and its client months re-judged, emitting on its own
      message's unit of work, exactly as if it had been handled alone: facts are applied in runs
      in which no two late facts concern the same client (judging a client month reads only that
      client's closed months), and a late fact that extends the calendar runs alone.
    * Ledger keys and calendar months of facts for still-open months are recomputed once, before
      the batch commits (``flush``). Nothing reads an open month's ledger row while judging, so
      only the time spent changes.
    """

    keys: set[ledger.Key] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    held: list[_Held] = field(default_factory=list)
    _last_closed: tuple[str | None] | None = None

    def last_closed_month(self, session: Session) -> str | None:
        """Read once: only a settle that closes a month changes it, and that flushes this."""
        if self._last_closed is None:
            close = session.get(LedgerClose, "ledger")
            self._last_closed = (close.last_closed_month if close is not None else None,)
        return self._last_closed[0]

    def flush(self, session: Session) -> None:
        self.write(session)
        if not (self.keys or self.months):  # only read the close marker
            return
        ledger.mark_months(session, DEFERRED_TOKEN, ledger.ensure_months(session, self.months))
        ledger.mark_keys(session, DEFERRED_TOKEN, self.keys)
        ledger.recompute(session, DEFERRED_TOKEN)

    def write(self, session: Session) -> None:
        """Write the held facts, in runs (see the class), and settle each run."""
        held, self.held = self.held, []
        if not held:
            return
        last = self.last_closed_month(session)
        current: dict[tuple[str, tuple[str, ...]], tuple[str, str, str, datetime, str] | None] = {}
        for table in {h.table for h in held}:
            found = facts.stored(session, table, (h.key for h in held if h.table == table))
            for h in held:
                if h.table == table:
                    row = found.get(h.key)
                    current[(table, h.key)] = tuple(row) if row is not None else None  # type: ignore[assignment]
        calendar: tuple[str | None, str | None] | None = None
        run: list[_Step] = []
        rows: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        for h in held:
            step = _step(h, current, last)
            if step.keys:
                v = h.values
                current[(h.table, h.key)] = (
                    v["client_id"],
                    v["agreement_id"],
                    v["month"],
                    v["as_of"],
                    v["digest"],
                )
            extends = False
            if step.late_clients:
                if calendar is None:
                    lo, hi = session.execute(text("SELECT MIN(month), MAX(month) FROM ledger_months")).one()
                    calendar = (lo, hi)
                lo, hi = calendar
                extends = lo is None or hi is None or any(m < lo or m > hi for m in step.months)
            clash = step.late_clients & {c for s in run for c in s.late_clients}
            if run and (clash or extends):
                self._apply(session, run, rows, last)
                run, rows = [], {}
            run.append(step)
            if step.keys:
                rows[(h.table, h.key)] = h.values
            if extends:  # alone: the months it adds mark other clients' keys too
                self._apply(session, run, rows, last)
                run, rows, calendar = [], {}, None
        self._apply(session, run, rows, last)

    def _apply(
        self,
        session: Session,
        run: list[_Step],
        rows: dict[tuple[str, tuple[str, ...]], dict[str, Any]],
        last: str | None,
    ) -> None:
        for table in sorted({t for t, _ in rows}):
            facts.upsert(session, table, [v for (t, _), v in rows.items() if t == table])
        late = [s for s in run if s.late_clients]
        for step in run:
            if not step.late_clients:
                self.keys.update(step.keys)
                self.months.update(step.months)
        if not late:
            return
        token = late[0].held.uow.cause.id
        ledger.mark_keys(session, token, (k for s in late for k in s.keys))
        added = ledger.ensure_months(session, {m for s in late for m in s.months})
        ledger.mark_months(session, token, added)
        touched = ledger.recompute(session, token)
        for step in late:
            pairs = touched if len(late) == 1 else sorted({(c, m) for c, _, m in step.keys})
            for client_id, month in pairs:
                if last is not None and month <= last:
                    _judge(step.held.uow, step.held.config, month, client_id)


def _step(
    h: _Held,
    current: dict[tuple[str, tuple[str, ...]], tuple[str, str, str, datetime, str] | None],
    last: str | None,
) -> _Step:
    """What ``h`` does given the stored (or earlier held) version of its fact."""
    row = current[(h.table, h.key)]
    tick = h.uow.clock
    months = {month_of(tick)} if tick is not None else set()
    v = h.values
    if row is not None and not _newer(v["as_of"], v["digest"], row[3], row[4]):
        return _Step(h, [], months, set())
    keys = [] if row is None else [(row[0], row[1], row[2])]
    keys.append((v["client_id"], v["agreement_id"], v["month"]))
    months.add(v["month"])
    late = {c for c, _, m in keys if last is not None and m <= last}
    return _Step(h, keys, months, late)


def _hold(
    uow: UnitOfWork, config: LedgerConfig, table: str, key: tuple[str, ...], values: dict[str, Any]
) -> bool:
    """Leave this message's fact to the batch's set-wise write, when the batch defers and the
    message closes no month (a fact never does: months close on the clock); False: do it now."""
    deferred = uow.batch.deferred(DEFERRED_LEDGER, _DeferredLedger)
    if deferred is None:
        return False
    tick = uow.clock
    closable = last_closed_month(tick.date(), config.grace_days) if tick is not None else None
    last = deferred.last_closed_month(uow.session)
    if closable is not None and (last is None or closable > last):
        _write_facts(uow)
        return False
    deferred.held.append(_Held(uow, config, table, key, values))
    return True


def _write_facts(uow: UnitOfWork) -> None:
    """Write the facts held so far in this batch (and re-judge the late ones): before a message
    that reads or changes what they feed (master data, invoices, the clock)."""
    deferred = uow.batch.deferred(DEFERRED_LEDGER, _DeferredLedger)
    if deferred is not None:
        deferred.write(uow.session)


def _settle(
    uow: UnitOfWork,
    config: LedgerConfig,
    months: Iterable[str] = (),
    keys: Iterable[ledger.Key] = (),
    *,
    marked: bool = False,
    reads_ledger: bool = False,
) -> None:
    """Bring the ledger up to date with this message's fact and judge what it closed or changed.

    ``keys`` are the ledger keys the fact changed; ``marked`` when the use case marked keys itself
    (set-wise, under the message's token); ``reads_ledger`` when what follows reads open months.
    A fact whose keys are all in open months, and that closes nothing, leaves them to the batch's
    one recompute (when the batch defers). Judging reads closed months only, and every deferred
    key is in a month that was open when it was deferred: so a late fact re-judges without
    flushing the batch, and only closing a month (which may close deferred keys) flushes it."""
    session, token = uow.session, uow.cause.id
    keys = list(keys)
    wanted = set(months)
    tick = uow.clock
    if tick is not None:
        wanted.add(month_of(tick))
    # Months close on the platform clock only (the latest clock.ticked this service has seen),
    # never on a fact's own time: a fact dated in May, handled before April's last entries (on
    # another partition, earlier in a batch), must not close April. See the README.
    closable = last_closed_month(tick.date(), config.grace_days) if tick is not None else None
    deferred = None if marked or reads_ledger else uow.batch.deferred(DEFERRED_LEDGER, _DeferredLedger)
    if deferred is not None:
        last = deferred.last_closed_month(session)
        closes_nothing = closable is None or (last is not None and closable <= last)
        if closes_nothing and (last is None or all(m > last for _, _, m in keys)):
            deferred.keys.update(keys)
            deferred.months.update(wanted)
            return
    close = session.get(LedgerClose, "ledger") or LedgerClose(name="ledger")
    last = close.last_closed_month
    closing = closable is not None and (last is None or closable > last)
    if closing or reads_ledger:
        uow.batch.flush(session, DEFERRED_LEDGER)
    ledger.mark_keys(session, token, keys)
    ledger.mark_months(session, token, ledger.ensure_months(session, wanted))
    touched = ledger.recompute(session, token)
    for client_id, month in touched:
        if last is not None and month <= last:
            _judge(uow, config, month, client_id)
    if closing:
        first = (
            add_months(last, 1)
            if last is not None
            else session.execute(text("SELECT MIN(month) FROM ledger_months")).scalar_one_or_none()
        )
        assert closable is not None
        if first is not None:
            for month in months_between(first, closable):
                _judge(uow, config, month)
                voting.propose_repricing(uow, month, config.policy.target_pct)
        close.last_closed_month = closable
        session.add(close)


def _judge(uow: UnitOfWork, config: LedgerConfig, month: str, client_id: str | None = None) -> None:
    """Judge ``month`` for one client (a late fact) or for every client with a ledger row in it."""
    session = uow.session
    window = [add_months(month, -i) for i in range(config.policy.history_months + 1)]
    lines = client_month_lines(session, window, client_id)
    clients = sorted({c for (c, m) in lines if m == month})
    if client_id is not None:  # a late fact: one row by key
        one = session.get(MarginJudgement, (client_id, month)) if clients else None
        stored = {client_id: one} if one is not None else {}
    else:
        stored = {
            j.client_id: j
            for j in session.execute(
                select(MarginJudgement)
                .where(MarginJudgement.month == month)  # type: ignore[arg-type]
                .where(MarginJudgement.client_id.in_(clients))  # type: ignore[attr-defined]
            ).scalars()
        }
    for client in clients:
        current, currency = lines[(client, month)]
        history = [lines[(client, m)][0] if (client, m) in lines else None for m in window[1:]]
        previous = stored.get(client)
        if previous is not None and previous.published:  # correct what consumers saw
            verdict = judge(
                month,
                current,
                history,
                previous.published_band or previous.band,
                config.policy,
                last_margin_pct=previous.published_margin_pct
                if previous.published_margin_pct is not None
                else previous.margin_pct,
                last_published=True,
            )
        else:
            verdict = judge(month, current, history, previous.band if previous else None, config.policy)
        if verdict is None:
            continue
        # a correction is dated no earlier than the event it corrects (a late fact may be older)
        published_at = previous.published_at if previous is not None else None
        when = published_at if published_at is not None and published_at > uow.cause.time else None
        if previous is None:
            previous = MarginJudgement(
                client_id=client,
                month=month,
                band=verdict.band,
                margin_pct=verdict.margin_pct,
                published=verdict.publish,
                judged_at=uow.now,
            )
        else:
            previous.band, previous.margin_pct, previous.judged_at = verdict.band, verdict.margin_pct, uow.now
            previous.published = previous.published or verdict.publish
        if verdict.publish:
            sent = uow.emit(_event(session, client, current, currency, verdict, config.policy), time=when)
            previous.published_band, previous.published_margin_pct = verdict.band, verdict.margin_pct
            previous.published_at = sent.time
        session.add(previous)


def _event(
    session: Session, client_id: str, lines: MonthLines, currency: str, j: Judgement, policy: Policy
) -> ClientProfitabilityChanged:
    def money(amount: Decimal) -> Money:
        return Money(amount=cents(amount), currency=currency)

    client = session.get(Client, client_id)
    hours = lines.labour_hours
    return ClientProfitabilityChanged(
        client_id=client_id,
        period=j.month,
        gross_margin_pct=j.margin_pct,
        previous_gross_margin_pct=j.previous_margin_pct,
        target_gross_margin_pct=policy.target_pct,
        band=j.band,
        previous_band=j.previous_band,
        settled_band=j.settled_band,
        direction=j.direction,
        revenue=money(lines.billed),
        cost=money(lines.cost),
        labour_hours=hours,
        effective_hourly_rate=money((lines.billed - lines.direct_cost) / hours) if hours else None,
        drivers=[MarginDriver(line=d.line, change=money(d.change), detail=d.detail) for d in j.drivers],
        problem_client=j.problem_client,
        summary=summary(client.name if client is not None else client_id, j),
    )
