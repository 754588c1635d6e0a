"""Licences: distributor subscriptions (Pax8) and the tenant's users (Microsoft Graph).

Each client's tenant is read once a month on its own sync day: one ``licensing.subscription
.upserted`` per subscription (purchased quantity, seats consumed) and one ``licensing.seat
.activity`` per user. Normal users sign in within the last few days, and every subscription is
bought exactly to the seats assigned, so the only waste and drift in the log is what was planted
(the truth lists it): idle users whose last sign-in stops at a date, new starters assigned beyond
the purchased quantity, and invoice lines billing fewer seats than are assigned.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from msp_events import Money
from msp_events.types.licensing import AssignedLicence, SeatActivity, SubscriptionUpserted

from msp_sim import names
from msp_sim.context import MonthContext
from msp_sim.rng import stable_uuid, stream
from msp_sim.timeline import local_to_utc, utc_midnight
from msp_sim.world import Client, Subscription, User

SUBSCRIPTION_SOURCE = "licensing.pax8"
TENANT_SOURCE = "licensing.msgraph"


def sync_day(client: Client, first: date) -> date:
    """The client's monthly tenant sync (spread over the month so load is even)."""
    return first.replace(day=1 + client.number % 27)


def extra_users(seed: int, client: Client, indices: tuple[int, ...]) -> list[User]:
    """New starters licensed beyond the purchased quantity (over-deployment)."""
    out = []
    for index in indices:
        rng = stream(seed, "new-starter", client.client_id, index)
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        out.append(
            User(
                user_id=stable_uuid(seed, "user", client.client_id, index),
                upn=f"{first[0].lower()}{last.lower()}{index}@{client.domain}",
                display_name=f"{first} {last}",
                department=rng.choice(names.DEPARTMENTS),
            )
        )
    return out


def idle_since(ctx: MonthContext, sub: Subscription, index: int, on: date) -> datetime | None:
    """The frozen last sign-in of a planted idle user, if ``index`` is one on ``on``."""
    problem = ctx.plan.licences.get(sub.subscription_id)
    if (
        problem is None
        or problem.kind != "unused"
        or on < problem.from_date
        or index not in problem.user_indices
    ):
        return None
    return local_to_utc(problem.from_date, 16, 5)


def generate(ctx: MonthContext) -> None:
    for client in ctx.world.clients:
        day = sync_day(client, ctx.first)
        churn = ctx.plan.churn.get(client.client_id)
        if churn is not None and ctx.first <= churn.churned_on + timedelta(days=1) <= ctx.last:
            cancelled = churn.churned_on + timedelta(days=1)
            for sub in client.subscriptions:
                _subscription(ctx, client, sub, cancelled, 0, "cancelled")
        if not ctx.active(client.client_id, day):
            continue
        observed_at = utc_midnight(day) + timedelta(hours=2, minutes=client.number % 60)
        holdings: dict[int, list[Subscription]] = {i: [] for i in range(len(client.users))}
        newcomers: list[tuple[User, Subscription]] = []
        for sub in client.subscriptions:
            assigned = len(sub.assigned_users)
            for index in sub.assigned_users:
                holdings[index].append(sub)
            problem = ctx.plan.licences.get(sub.subscription_id)
            if problem is not None and problem.kind == "over_deployed" and day >= problem.from_date:
                users = extra_users(ctx.seed, client, problem.user_indices)
                newcomers += [(u, sub) for u in users]
                assigned += len(users)
            _subscription(ctx, client, sub, day, assigned, "active")
        rng = stream(ctx.seed, "sign-ins", client.client_id, ctx.period)
        for index, user in enumerate(client.users):
            subs = holdings[index]
            last_sign_in: datetime | None = observed_at - timedelta(hours=rng.uniform(1, 60))
            for sub in subs:
                frozen = idle_since(ctx, sub, index, day)
                if frozen is not None:
                    last_sign_in = frozen
            _seat(ctx, client, user, subs, last_sign_in, observed_at)
        for user, sub in newcomers:
            _seat(ctx, client, user, [sub], observed_at - timedelta(hours=rng.uniform(1, 60)), observed_at)


def _subscription(
    ctx: MonthContext, client: Client, sub: Subscription, day: date, consumed: int, status: str
) -> None:
    at = utc_midnight(day) + timedelta(hours=1, minutes=client.number % 60)
    currency = ctx.params.currency
    ctx.emit(
        SubscriptionUpserted(
            subscription_id=sub.subscription_id,
            client_id=client.client_id,
            tenant_id=client.tenant_id,
            vendor="Microsoft",
            distributor="Pax8",
            product_id=stable_uuid(0, "pax8-product", sub.sku.part_number),
            sku_id=sub.sku.sku_id,
            sku_part_number=sub.sku.part_number,
            product_name=sub.sku.product_name,
            quantity=len(sub.assigned_users) if status == "active" else 0,
            consumed_units=consumed,
            unit_cost=Money(amount=sub.unit_cost, currency=currency),
            unit_price=Money(amount=sub.unit_price, currency=currency),
            billing_term="monthly",
            commitment_term_months=sub.commitment_months,
            start_date=sub.start_date,
            commitment_end_date=sub.commitment_end(day),
            auto_renew=status == "active",
            status=status,
            capability_status="enabled" if status == "active" else "deleted",
            updated_at=at,
        ),
        source=SUBSCRIPTION_SOURCE,
        time=at,
    )


def _seat(
    ctx: MonthContext,
    client: Client,
    user: User,
    subs: list[Subscription],
    last: datetime | None,
    at: datetime,
) -> None:
    ctx.emit(
        SeatActivity(
            user_id=user.user_id,
            client_id=client.client_id,
            tenant_id=client.tenant_id,
            user_principal_name=user.upn,
            display_name=user.display_name,
            department=user.department,
            user_type="member",
            account_enabled=True,
            assigned_licences=[
                AssignedLicence(sku_id=s.sku.sku_id, sku_part_number=s.sku.part_number) for s in subs
            ],
            last_sign_in_at=last,
            observed_at=at,
        ),
        source=TENANT_SOURCE,
        time=at,
    )
