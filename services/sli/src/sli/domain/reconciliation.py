"""The three-way licence reconciliation of one client's SKU: bought vs assigned/used vs billed.

A *line* is one client x SKU with what the store aggregated from the facts (distributor
subscriptions, tenant seats with their users' activity, RMM installs, PSA agreement additions).
``classify`` turns a line into findings, each with its seats, its money per month and the exact
action a licensing desk would take. Findings of one line are independent of each other except
where one fix covers another (reclaiming idle seats before buying more).

Definitions (the README repeats them with worked examples):

* entitlement E: seats bought on live subscriptions (active, pending, trial); "unlimited" SKUs
  (free or site licences) have no ceiling and are never over-deployed, unused, or billed.
* usage U: max(seats assigned in the tenant, devices with the software installed).
* billing target T: E when something is bought at the distributor, else the seats assigned.
* unbilled: T > 0 and nothing billed for the SKU; money = T x the client's price per seat.
* under-billed: 0 < billed < T; money = (T - billed) x the price billed per seat.
* over-billed: billed > T; money = (billed - T) x the price billed per seat, owed back.
* over-deployed: U > E; money = (U - E) x the MSP's unit cost (the true-up it owes).
* unused: assigned users without a sign-in for the inactivity window (60 days by default,
  configurable per product), not counting seats provisioned within the grace period (60 days),
  plus seats bought but not assigned; money = seats x unit cost (what the MSP saves).
* expired: the subscription lapsed (suspended, cancelled, or past a commitment end that does not
  renew) while seats are still assigned or installed; money = seats x unit cost to renew.
* properly licensed: none of the above.

Money is per month, ``Decimal`` with its currency, rounded half-up to the cent per finding; when
the unit amount is not known (a distributor export without cost, a SKU bought elsewhere) the
finding is still raised with ``monthly=None`` (money unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Literal

from msp_events.money import Money

CENT = Decimal("0.01")

FindingClass = Literal["unbilled", "under_billed", "over_billed", "over_deployed", "unused", "expired"]
LineClass = Literal[
    "unbilled", "under_billed", "over_billed", "over_deployed", "unused", "expired", "properly_licensed"
]
WireKind = Literal["over_deployed", "unused_seats", "unbilled_seats", "over_billed", "expired"]
Action = Literal["reduce_seats", "reclaim_licences", "bill_client", "credit_client", "buy_seats", "renew"]
MoneyNature = Literal["leakage", "saving", "credit"]

CLASSES: tuple[FindingClass, ...] = (
    "expired",
    "over_deployed",
    "unbilled",
    "under_billed",
    "over_billed",
    "unused",
)
"""Most urgent first: a line's class is the first of its findings in this order."""

WIRE_KIND: dict[FindingClass, WireKind] = {
    "unbilled": "unbilled_seats",
    "under_billed": "unbilled_seats",
    "over_billed": "over_billed",
    "over_deployed": "over_deployed",
    "unused": "unused_seats",
    "expired": "expired",
}
"""``license.compliance.violation`` kinds (v1.0): both billing shortfalls are ``unbilled_seats``;
the finer class travels in the event's ``finding_class``."""

NATURE: dict[FindingClass, MoneyNature] = {
    "unbilled": "leakage",
    "under_billed": "leakage",
    "over_billed": "credit",
    "over_deployed": "leakage",
    "unused": "saving",
    "expired": "leakage",
}
"""What the monthly money is: revenue or cost leaking now, a cost that can be saved, or an amount
owed back to the client."""

LIVE = frozenset({"active", "pending", "trial"})


@dataclass(frozen=True)
class Policy:
    """The licensing desk's rules, from the settings."""

    inactive_days: int = 60
    inactive_days_by_product: dict[str, int] = field(default_factory=dict)
    """Per-product inactivity windows, keyed by SKU part number or SKU id."""
    grace_days: int = 60
    """Seats provisioned fewer days ago than this are never called unused."""
    buffer_pct: Decimal = Decimal(10)
    """Renewal right-sizing headroom over the engaged users, percent."""
    min_seats: int = 1
    """Materiality: a finding smaller than this many seats is not published."""
    min_monthly: Decimal = Decimal(0)
    """Materiality: a finding whose known money per month is below this is not published."""

    def window(self, sku_id: str, sku_part_number: str | None) -> int:
        """The inactivity window of a product: its own, else the default."""
        by_product = self.inactive_days_by_product
        if sku_part_number is not None and sku_part_number in by_product:
            return by_product[sku_part_number]
        return by_product.get(sku_id, self.inactive_days)


@dataclass(frozen=True)
class Line:
    """One client x SKU as the store aggregated it, on ``today`` (the service clock's date)."""

    client_id: str
    sku_id: str
    sku_part_number: str | None
    product_name: str
    today: date
    purchased: int | None
    """Seats bought on live subscriptions; None when no subscription for the SKU is known."""
    subscription_id: str | None = None
    subscription_status: str | None = None
    """Best status over the SKU's subscriptions (a live one wins)."""
    commitment_end_date: date | None = None
    auto_renew: bool | None = None
    unlimited: bool = False
    unit_cost: Money | None = None
    """MSP's cost per seat per month; None = unknown."""
    list_price: Money | None = None
    """Client price per seat per month from the distributor's price book; None = unknown."""
    billed: Decimal | None = None
    """Seats billed on the client's agreements; None = no billing line for the SKU."""
    billed_price: Money | None = None
    """Price per seat per month the agreement bills; None = unknown."""
    agreement_id: str | None = None
    """The agreement billing the SKU, else the client's agreement to add it to."""
    assigned: int = 0
    installed: int = 0
    engaged: int = 0
    """Assigned seats whose user signed in within the window, or provisioned within the grace."""
    idle_users: tuple[str, ...] = ()
    """Sign-in names of assigned users idle for the window (out of grace), sorted."""
    tenant_read: bool = True
    """Assignment and use are known (the tenant was read): without it, nothing is over-deployed or
    unused on the strength of seats nobody has counted."""
    sides_known: bool = True
    """The client's distributor or tenant has been read: without either, billing cannot be judged
    (a PSA line before the first distributor sync is not over-billing)."""

    @property
    def live(self) -> bool:
        return self.subscription_status in LIVE

    @property
    def expired(self) -> bool:
        """Bought once, no longer live: suspended, cancelled, or past a non-renewing commitment."""
        if self.subscription_status is None:
            return False
        if not self.live:
            return True
        end = self.commitment_end_date
        return end is not None and end < self.today and self.auto_renew is False

    @property
    def usage(self) -> int:
        return max(self.assigned, self.installed)

    @property
    def billing_target(self) -> int:
        """Seats the client should be billed for: what is bought, else what is assigned."""
        if self.expired:
            return 0
        return self.purchased if self.purchased is not None and self.live else self.assigned


@dataclass(frozen=True)
class Finding:
    """One gap on one line, with its money per month and the exact action."""

    finding_class: FindingClass
    seats: int
    monthly: Money | None
    """Money per month (see ``NATURE``); None when the unit amount is unknown."""
    action: Action
    action_text: str
    inactive_users: tuple[str, ...] = ()
    inactive_days: int | None = None

    @property
    def kind(self) -> WireKind:
        return WIRE_KIND[self.finding_class]

    @property
    def nature(self) -> MoneyNature:
        return NATURE[self.finding_class]


def monthly(seats: int | Decimal, unit: Money | None) -> Money | None:
    """seats x unit amount per month, half-up to the cent, in the unit's currency (None: unknown)."""
    if unit is None:
        return None
    return Money(
        amount=(Decimal(seats) * unit.amount).quantize(CENT, rounding=ROUND_HALF_UP), currency=unit.currency
    )


def whole_seats(quantity: Decimal) -> int:
    """A billed quantity as whole seats (a fractional line bills a part-seat: it counts as one)."""
    return int(quantity.to_integral_value(rounding=ROUND_CEILING))


def classify(line: Line, policy: Policy) -> list[Finding]:
    """Every finding of the line, most urgent first (``CLASSES`` order)."""
    if line.unlimited and not line.expired:
        return []
    found: list[Finding] = []
    name = line.product_name
    agreement = f"agreement {line.agreement_id}" if line.agreement_id else "a new agreement for the client"
    if line.expired and line.usage > 0:
        n = line.usage
        found.append(
            Finding(
                "expired",
                n,
                monthly(n, line.unit_cost),
                "renew",
                f"renew {name} (subscription {line.subscription_id}) for {n} seats, or remove it from the "
                f"{n} users and devices still using it",
            )
        )
    idle = () if line.expired or line.purchased is None else line.idle_users
    reclaimed = 0
    if not line.tenant_read and line.installed == 0:
        idle = ()
    if (
        not line.expired
        and line.live
        and line.purchased is not None
        and line.usage > line.purchased
        and (line.tenant_read or line.installed > 0)
    ):
        n = line.usage - line.purchased
        reclaim = reclaimed = min(n, len(idle))
        buy = n - reclaim
        steps = []
        if reclaim:
            steps.append(f"reclaim {reclaim} from these inactive users: {', '.join(idle[:reclaim])}")
        if buy:
            steps.append(
                f"buy {buy} seats of {name} (subscription {line.subscription_id}) "
                f"and bill them on {agreement}"
            )
        action: Action = "buy_seats" if buy else "reclaim_licences"
        found.append(Finding("over_deployed", n, monthly(n, line.unit_cost), action, "; ".join(steps)))
    target = line.billing_target
    price = line.billed_price or line.list_price
    if not line.sides_known:
        pass
    elif line.billed is None or line.billed == 0:
        if target > 0:
            found.append(
                Finding(
                    "unbilled",
                    target,
                    monthly(target, line.list_price),
                    "bill_client",
                    f"add {target} seats of {name} to {agreement}",
                )
            )
    else:
        billed = whole_seats(line.billed)
        if billed < target:
            n = target - billed
            found.append(
                Finding(
                    "under_billed",
                    n,
                    monthly(n, price),
                    "bill_client",
                    f"add {n} seats of {name} to {agreement} (bills {billed}, should bill {target})",
                )
            )
        elif billed > target:
            n = billed - target
            found.append(
                Finding(
                    "over_billed",
                    n,
                    monthly(n, price),
                    "credit_client",
                    f"remove {n} seats of {name} from {agreement} (bills {billed} for {target}) and credit "
                    "the client",
                )
            )
    if not line.expired and line.live and line.purchased is not None and line.tenant_read:
        idle = idle[reclaimed:]  # the over-deployment already takes these back
        spare = max(0, line.purchased - line.usage)
        n = len(idle) + spare
        if n:
            steps = []
            if idle:
                steps.append(f"reclaim from these inactive users: {', '.join(idle)}")
            if spare:
                steps.append(f"remove {spare} unassigned seats {_when(line)}")
            found.append(
                Finding(
                    "unused",
                    n,
                    monthly(n, line.unit_cost),
                    "reclaim_licences" if idle else "reduce_seats",
                    "; ".join(steps),
                    inactive_users=idle,
                    inactive_days=policy.window(line.sku_id, line.sku_part_number),
                )
            )
    return sorted(found, key=lambda f: CLASSES.index(f.finding_class))


def _when(line: Line) -> str:
    if line.commitment_end_date is None or line.commitment_end_date < line.today:
        return "now (no commitment holds them)"
    return f"at renewal on {line.commitment_end_date.isoformat()}"


def line_class(findings: list[Finding]) -> LineClass:
    """The line's class: its most urgent finding, else properly licensed."""
    return findings[0].finding_class if findings else "properly_licensed"


def material(finding: Finding, policy: Policy) -> bool:
    """Worth publishing: enough seats, and (when the money is known) enough money per month."""
    if finding.seats < policy.min_seats:
        return False
    return finding.monthly is None or finding.monthly.amount >= policy.min_monthly
