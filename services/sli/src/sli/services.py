"""SLI's use cases: each runs inside the unit of work the runtime opened for one event.

Facts (subscriptions, seats, installs, agreements) are stored and mark their client dirty; nothing
is published for them. The clock reconciles: on each tick the dirty clients' lines are rebuilt
set-wise in SQL, classified, and their findings opened, updated or resolved; on the first tick of
a new day every client is reconciled (inactivity moves with the date). So a tenant sync of two
hundred users is one reconciliation, not two hundred, and what is published depends only on the
facts before each tick, never on how messages were batched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import (
    CheckedFinding,
    LicenseComplianceChecked,
    LicenseComplianceViolation,
    SalesOpportunityIdentified,
)

from sli.domain.findings import Gap, change_of, finding_id
from sli.domain.reconciliation import (
    CLASSES,
    Finding,
    Line,
    Policy,
    classify,
    line_class,
    material,
    whole_seats,
)
from sli.domain.renewals import RenewalInput, review
from sli.domain.subscriptions import SubscriptionVersion, supersedes
from sli.store import facts, reconcile
from sli.store.repository import SubscriptionRepository
from sli.store.tables import Finding as FindingRow
from sli.store.tables import LicenceLine, ReconciliationState, RenewalReview, Subscription

LICENCE_OPPORTUNITIES = ("licence_true_up", "seat_reduction")
CLASS_ORDER: dict[str, int] = {c: i for i, c in enumerate(CLASSES)}
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class DeskConfig:
    """The licensing desk's rules as the service runs them (built from the settings)."""

    policy: Policy = field(default_factory=Policy)
    unlimited_skus: frozenset[str] = frozenset()
    unlimited_from: int = 10_000
    software_skus: dict[str, str] = field(default_factory=dict)

    def unlimited(self, sku_id: str, part: str | None, purchased: int | None) -> bool:
        return (
            sku_id in self.unlimited_skus
            or (part is not None and part in self.unlimited_skus)
            or (purchased is not None and purchased >= self.unlimited_from)
        )


# -- facts ------------------------------------------------------------------------------------------


def record_subscription(
    uow: UnitOfWork, subscription: SubscriptionVersion, product_id: str | None = None
) -> bool:
    """Keep the subscription's latest state; returns False for a stale (older) or repeated version."""
    subscriptions = SubscriptionRepository(uow.session)
    if not supersedes(subscription, subscriptions.get(subscription.subscription_id)):
        return False
    old = uow.session.get(Subscription, subscription.subscription_id)
    if old is not None and old.client_id != subscription.client_id:
        facts.mark_dirty(uow.session, old.client_id)
    subscriptions.save(subscription, product_id)
    facts.mark_dirty(uow.session, subscription.client_id)
    return True


# -- the reconciliation ---------------------------------------------------------------------------


def on_clock(uow: UnitOfWork, config: DeskConfig) -> None:
    """Reconcile the dirty clients, or every client on a new day."""
    session = uow.session
    now = uow.now
    state = session.get(ReconciliationState, "sli")
    if state is None or state.last_day != now.date():
        reconcile.mark_all_dirty(session)
        state = state or ReconciliationState(name="sli", last_day=now.date())
        state.last_day = now.date()
        session.add(state)
    reconcile_dirty(uow, config)


def reconcile_dirty(uow: UnitOfWork, config: DeskConfig) -> None:
    session = uow.session
    clients = reconcile.dirty_clients(session)
    if not clients:
        return
    now = uow.now
    reconcile.rebuild_lines(session, config.policy, now)
    idle = reconcile.idle_users(session, config.policy, now)
    rows = list(
        session.execute(
            select(LicenceLine)
            .where(LicenceLine.client_id.in_(clients))  # type: ignore[attr-defined]
            .order_by(LicenceLine.client_id, LicenceLine.sku_id)  # type: ignore[arg-type]
        ).scalars()
    )
    every = {
        f.finding_id: f
        for f in session.execute(
            select(FindingRow).where(FindingRow.client_id.in_(clients))  # type: ignore[attr-defined]
        ).scalars()
    }
    open_rows = {fid: f for fid, f in every.items() if f.status == "open"}
    known = reconcile.read_clients(session)
    current: dict[str, tuple[LicenceLine, Line, Finding]] = {}
    for row in rows:
        line = to_line(row, idle.get((row.client_id, row.sku_id), ()), config, now, row.client_id in known)
        found = classify(line, config.policy)
        cls = line_class(found)
        if cls != row.line_class:
            row.line_class = cls
            session.add(row)
        for f in found:
            if material(f, config.policy):
                current[finding_id(row.client_id, row.sku_id, f.finding_class)] = (row, line, f)
    with session.no_autoflush:
        _publish_changes(uow, current, open_rows, every, now)
    _review_renewals(session, clients, rows, config, now)
    reconcile.clear_dirty(session)


def _publish_changes(
    uow: UnitOfWork,
    current: dict[str, tuple[LicenceLine, Line, Finding]],
    open_rows: dict[str, FindingRow],
    every: dict[str, FindingRow],
    now: datetime,
) -> None:
    """Open, update or resolve each finding whose gap changed, in id order (ids are stable)."""
    session = uow.session
    for fid in sorted(set(current) | set(open_rows)):
        hit = current.get(fid)
        published = open_rows.get(fid)
        gap = None if published is None else _gap(published)
        change = change_of(hit[2] if hit else None, gap)
        if change is None:
            continue
        if hit is not None:
            row, line, f = hit
            stored = _store_finding(session, fid, row, f, every.get(fid), now)
            uow.emit(violation(fid, row, line, f, stored))
        else:
            assert published is not None
            published.status, published.resolved_at, published.updated_at = "resolved", now, now
            session.add(published)
            uow.emit(resolution(published))


def to_line(
    row: LicenceLine, idle: tuple[str, ...], config: DeskConfig, now: datetime, sides_known: bool = True
) -> Line:
    return Line(
        client_id=row.client_id,
        sku_id=row.sku_id,
        sku_part_number=row.sku_part_number,
        product_name=row.product_name,
        today=now.date(),
        purchased=row.purchased,
        subscription_id=row.subscription_id,
        subscription_status=row.subscription_status,
        commitment_end_date=row.commitment_end_date,
        auto_renew=row.auto_renew,
        unlimited=config.unlimited(row.sku_id, row.sku_part_number, row.purchased),
        unit_cost=_money(row.unit_cost_amount, row.unit_cost_currency),
        list_price=_money(row.list_price_amount, row.list_price_currency),
        billed=row.billed,
        billed_price=_money(row.billed_price_amount, row.billed_price_currency),
        agreement_id=row.agreement_id,
        assigned=row.assigned,
        installed=row.installed,
        engaged=row.engaged,
        idle_users=idle,
        tenant_read=row.tenant_read,
        sides_known=sides_known,
    )


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


def _gap(row: FindingRow) -> Gap:
    amount = None if row.monthly_amount is None else str(row.monthly_amount.quantize(Decimal("0.01")))
    return Gap(row.seats, amount, row.currency, row.action_text)


def _store_finding(
    session: Session, fid: str, row: LicenceLine, f: Finding, stored: FindingRow | None, now: datetime
) -> FindingRow:
    values = {
        "client_id": row.client_id,
        "sku_id": row.sku_id,
        "sku_part_number": row.sku_part_number,
        "product_name": row.product_name,
        "finding_class": f.finding_class,
        "kind": f.kind,
        "nature": f.nature,
        "status": "open",
        "seats": f.seats,
        "monthly_amount": None if f.monthly is None else f.monthly.amount,
        "currency": None if f.monthly is None else f.monthly.currency,
        "action": f.action,
        "action_text": f.action_text,
        "inactive_users": "\n".join(f.inactive_users),
        "subscription_id": row.subscription_id,
        "agreement_id": row.agreement_id,
        "updated_at": now,
        "resolved_at": None,
    }
    if stored is None or stored.status != "open":  # new, or reopened after a resolution
        values["opened_at"] = now
    stored = stored or FindingRow(finding_id=fid, **{"opened_at": now, **values})  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(stored, name, value)
    session.add(stored)
    return stored


def _currency(row: LicenceLine) -> str:
    return row.unit_cost_currency or row.billed_price_currency or row.list_price_currency or DEFAULT_CURRENCY


def violation(
    fid: str, row: LicenceLine, line: Line, f: Finding, stored: FindingRow
) -> LicenseComplianceViolation:
    money = f.monthly or Money(amount=Decimal("0.00"), currency=_currency(row))
    shown = "an unknown amount" if f.monthly is None else f"{money.amount} {money.currency}"
    return LicenseComplianceViolation(
        violation_id=fid,
        client_id=row.client_id,
        kind=f.kind,
        sku_id=row.sku_id,
        sku_part_number=row.sku_part_number,
        product_name=row.product_name,
        subscription_id=row.subscription_id,
        agreement_id=row.agreement_id,
        seats_purchased=row.purchased or 0,
        seats_assigned=line.usage,
        seats_active=row.engaged,
        seats_billed=None if row.billed is None else whole_seats(row.billed),
        seats_affected=f.seats,
        inactive_days=f.inactive_days,
        monthly_exposure=money,
        commitment_end_date=row.commitment_end_date,
        recommended_action=f.action,
        summary=f"{row.product_name} at {row.client_id}: {f.finding_class.replace('_', ' ')}, "
        f"{f.seats} seats, {shown} a month ({f.nature}): {f.action_text}",
        status="open",
        finding_class=f.finding_class,
        exposure_known=f.monthly is not None,
        exposure_nature=f.nature,
        action_text=f.action_text,
        inactive_users=list(f.inactive_users),
        seats_installed=row.installed or None,
    )


def resolution(row: FindingRow) -> LicenseComplianceViolation:
    return LicenseComplianceViolation(
        violation_id=row.finding_id,
        client_id=row.client_id,
        kind=row.kind,  # type: ignore[arg-type]
        sku_id=row.sku_id,
        sku_part_number=row.sku_part_number,
        product_name=row.product_name,
        subscription_id=row.subscription_id,
        agreement_id=row.agreement_id,
        seats_purchased=0,
        seats_assigned=0,
        seats_affected=0,
        monthly_exposure=Money(amount=Decimal("0.00"), currency=row.currency or DEFAULT_CURRENCY),
        recommended_action=row.action,  # type: ignore[arg-type]
        summary=f"{row.product_name} at {row.client_id}: the "
        f"{row.finding_class.replace('_', ' ')} finding is resolved",
        status="resolved",
        finding_class=row.finding_class,  # type: ignore[arg-type]
        exposure_known=row.monthly_amount is not None,
        exposure_nature=row.nature,  # type: ignore[arg-type]
        action_text=row.action_text,
    )


def _review_renewals(
    session: Session, clients: list[str], rows: list[LicenceLine], config: DeskConfig, now: datetime
) -> None:
    session.execute(delete(RenewalReview).where(RenewalReview.client_id.in_(clients)))  # type: ignore[attr-defined]
    lines = {(r.client_id, r.sku_id): r for r in rows}
    subs = session.execute(
        select(Subscription)
        .where(Subscription.client_id.in_(clients))  # type: ignore[attr-defined]
        .where(Subscription.commitment_end_date.is_not(None))  # type: ignore[union-attr]
        .where(Subscription.status.in_(("active", "pending", "trial")))  # type: ignore[attr-defined]
        .order_by(Subscription.subscription_id)  # type: ignore[arg-type]
    ).scalars()
    for sub in subs:
        line = lines.get((sub.client_id, sub.sku_id))
        if line is None or sub.commitment_end_date is None:
            continue
        if config.unlimited(line.sku_id, line.sku_part_number, line.purchased):
            continue
        r = review(
            RenewalInput(
                subscription_id=sub.subscription_id,
                client_id=sub.client_id,
                sku_id=sub.sku_id,
                product_name=sub.product_name,
                quantity=sub.quantity,
                renewal_date=sub.commitment_end_date,
                billing_term=sub.billing_term,
                commitment_term_months=sub.commitment_term_months,
                unit_cost=_money(sub.unit_cost_amount, sub.unit_cost_currency),
                engaged_on_sku=line.engaged,
                others_on_sku=max(0, (line.purchased or 0) - sub.quantity),
            ),
            now.date(),
            config.policy.buffer_pct,
        )
        if r is None:
            continue
        session.add(
            RenewalReview(
                subscription_id=r.subscription_id,
                client_id=r.client_id,
                sku_id=r.sku_id,
                product_name=r.product_name,
                renewal_date=r.renewal_date,
                reminder_days=r.reminder_days,
                quantity=r.quantity,
                engaged=r.engaged,
                recommended=r.recommended,
                change=r.change,
                monthly_saving=None if r.monthly_saving is None else r.monthly_saving.amount,
                currency=None if r.monthly_saving is None else r.monthly_saving.currency,
                action_text=r.action_text,
                reviewed_on=now.date(),
            )
        )


# -- rule 2: a licence opportunity is checked against the entitlements ------------------------------


def check_opportunity(uow: UnitOfWork, o: SalesOpportunityIdentified, config: DeskConfig) -> None:
    """Answer a licence opportunity with the client's entitlements and open findings on the SKU
    (every SKU when the opportunity names none), reconciling the client first if it is dirty."""
    if o.status != "open" or (o.sku_id is None and o.kind not in LICENCE_OPPORTUNITIES):
        return  # a closed suggestion (1.1) needs no answer
    reconcile_dirty(uow, config)
    session = uow.session
    query = select(LicenceLine).where(LicenceLine.client_id == o.client_id)  # type: ignore[arg-type]
    if o.sku_id is not None:
        query = query.where(LicenceLine.sku_id == o.sku_id)  # type: ignore[arg-type]
    lines = list(session.execute(query).scalars())
    findings = (
        select(FindingRow).where(FindingRow.client_id == o.client_id).where(FindingRow.status == "open")
    )  # type: ignore[arg-type]
    if o.sku_id is not None:
        findings = findings.where(FindingRow.sku_id == o.sku_id)  # type: ignore[arg-type]
    open_findings = sorted(
        session.execute(findings).scalars(), key=lambda f: (CLASS_ORDER.get(f.finding_class, 9), f.sku_id)
    )
    purchased = sum(line.purchased or 0 for line in lines)
    assigned = sum(max(line.assigned, line.installed) for line in lines)
    status = "issues" if open_findings else "ok"
    what = f"SKU {o.sku_id}" if o.sku_id else "every SKU"
    summary = (
        f"{o.client_id} {what}: {purchased} bought, {assigned} assigned, {purchased - assigned} available; "
        + (
            f"{len(open_findings)} open findings, fix before quoting"
            if open_findings
            else "properly licensed"
        )
    )
    uow.emit(
        LicenseComplianceChecked(
            check_id=finding_id(o.client_id, o.suggestion_id, "compliance-check"),
            client_id=o.client_id,
            suggestion_id=o.suggestion_id,
            sku_id=o.sku_id,
            status=status,
            seats_purchased=purchased,
            seats_assigned=assigned,
            seats_available=purchased - assigned,
            findings=[
                CheckedFinding(
                    violation_id=f.finding_id,
                    kind=f.kind,  # type: ignore[arg-type]
                    sku_id=f.sku_id,
                    seats_affected=f.seats,
                    action_text=f.action_text,
                )
                for f in open_findings
            ],
            summary=summary,
        )
    )
