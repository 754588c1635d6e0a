"""The static MSP: clients (with users, sites, agreements and licences) and technicians.

Built once per run from the seed and the size parameters; each client and technician draws from
its own sub-stream, so the 7th client is the same whether the run has 10 or 1,000 clients.
Distributions follow ``msp-benchmarks.md`` (see the calibration table in the README).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from msp_sim import names
from msp_sim.params import Params
from msp_sim.rng import cents, lognormal_median, stable_uuid, stream, weighted
from msp_sim.timeline import add_months, is_business_day

MSP_COMPANY_ID = "C0000"
"""The MSP's own company in the PSA: internal, admin and absence time is charged to it."""


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    latitude: float
    longitude: float
    primary: bool


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    upn: str
    display_name: str
    department: str


@dataclass(frozen=True, slots=True)
class Sku:
    """A Microsoft 365 SKU with its list price (USD per user per month, annual commitment)."""

    sku_id: str
    part_number: str
    product_name: str
    list_price: Decimal


SKUS = {
    "basic": Sku(
        "3b555118-da6a-4418-894f-7df1e2096870",
        "O365_BUSINESS_ESSENTIALS",
        "Microsoft 365 Business Basic",
        Decimal("6.00"),
    ),
    "standard": Sku(
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        "O365_BUSINESS_PREMIUM",
        "Microsoft 365 Business Standard",
        Decimal("12.50"),
    ),
    "premium": Sku(
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB", "Microsoft 365 Business Premium", Decimal("22.00")
    ),
    "e3": Sku("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3", Decimal("36.00")),
    "copilot": Sku(
        "639dec6b-bb19-468b-871c-c5c441c4b0cb",
        "Microsoft_365_Copilot",
        "Microsoft 365 Copilot",
        Decimal("30.00"),
    ),
}


@dataclass(frozen=True, slots=True)
class Subscription:
    """A client's licence subscription at the distributor and the users it is assigned to."""

    subscription_id: str
    client_id: str
    sku: Sku
    assigned_users: tuple[int, ...]
    unit_cost: Decimal
    unit_price: Decimal
    billing_term: str
    commitment_months: int
    start_date: date
    addition_id: str

    def commitment_end(self, on: date) -> date:
        """End of the commitment term in force on ``on`` (terms renew back to back)."""
        end = add_months(self.start_date, self.commitment_months) - timedelta(days=1)
        while end < on:
            end = add_months(end + timedelta(days=1), self.commitment_months) - timedelta(days=1)
        return end


@dataclass(frozen=True, slots=True)
class Agreement:
    agreement_id: str
    client_id: str
    name: str
    agreement_type: str
    start_date: date
    end_date: date | None
    billing_cycle: str
    bill_amount: Decimal
    included_hours: Decimal | None
    hourly_rate: Decimal
    overage_rate: Decimal | None
    covers_labour: bool
    auto_renew: bool
    renewal_term_months: int | None
    notice_period_days: int | None

    def term_end_on_or_after(self, day: date) -> date | None:
        """The end of the term running on ``day`` (auto-renewals roll it forward)."""
        if self.end_date is None:
            return None
        end = self.end_date
        while end < day and self.auto_renew and self.renewal_term_months:
            end = add_months(end, self.renewal_term_months)
        return end


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    number: int
    name: str
    domain: str
    tier: str
    industry: str
    users: tuple[User, ...]
    endpoints: int
    servers: int
    sites: tuple[Site, ...]
    created_on: date
    account_manager_id: str
    account_manager_name: str
    tenant_id: str
    agreement: Agreement
    subscriptions: tuple[Subscription, ...]
    tickets_per_user_month: float
    csat_positive: float
    days_to_pay_mean: float
    late_payer: bool
    tax_rate: Decimal
    payment_method: str
    primary_technician_id: str

    @property
    def head_office(self) -> Site:
        return self.sites[0]


@dataclass(frozen=True, slots=True)
class Technician:
    technician_id: str
    number: int
    name: str
    email: str
    role: str
    level: int
    skills: tuple[tuple[str, int], ...]
    home_latitude: float
    home_longitude: float
    weekly_billable_target: Decimal
    cost_history: tuple[tuple[date, Decimal], ...]
    hourly_rate: Decimal
    pto_days: frozenset[date]
    hired_on: date

    def cost_on(self, day: date) -> Decimal:
        """The fully loaded hourly cost in force on a work date (never a later rate)."""
        rate = self.cost_history[0][1]
        for effective_from, value in self.cost_history:
            if effective_from <= day:
                rate = value
        return rate


@dataclass(frozen=True, slots=True)
class World:
    params: Params
    clients: tuple[Client, ...]
    technicians: tuple[Technician, ...]
    account_managers: tuple[tuple[str, str], ...]

    def technician(self, technician_id: str) -> Technician:
        return self.technicians[int(technician_id[1:]) - 1]


TIERS = (("Essentials", Decimal("110")), ("Pro", Decimal("150")), ("Premium", Decimal("195")))
TIER_WEIGHTS = (0.2, 0.6, 0.2)
ROLES = (("Service Desk L1", 1, 52_000), ("Engineer L2", 2, 70_000), ("Senior Engineer L3", 3, 92_000))
ROLE_WEIGHTS = (0.5, 0.35, 0.15)
SKILL_POOL = (
    "Windows",
    "Microsoft 365",
    "Networking",
    "Firewall",
    "Printers",
    "Servers",
    "Azure",
    "Security",
    "VoIP",
    "Backup",
)
LOADED_MULTIPLIER = Decimal("1.45")
"""Wages to fully loaded cost: ECEC benefits (1.34-1.42x) plus a little overhead."""
PAID_HOURS_PER_YEAR = Decimal("2080")


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    return round(lat + rng.uniform(-km, km) / 111.0, 5), round(lon + rng.uniform(-km, km) / 83.0, 5)


def build_technicians(params: Params) -> tuple[Technician, ...]:
    techs = []
    for n in range(1, params.technicians + 1):
        rng = stream(params.seed, "technician", n)
        first, last = _person(rng)
        role, level, salary_median = weighted(rng, ROLES, ROLE_WEIGHTS)
        salary = Decimal(round(salary_median * rng.uniform(0.88, 1.14), -2))
        hourly_cost = cents(salary * LOADED_MULTIPLIER / PAID_HOURS_PER_YEAR)
        hired = params.start - timedelta(days=rng.randint(200, 3000))
        # Annual raise of 2-5 % on the hiring anniversary; the history starts a year before the run.
        anniversary = date(params.start.year, hired.month, min(hired.day, 28))
        if anniversary < params.start:
            anniversary = date(params.start.year + 1, hired.month, min(hired.day, 28))
        history = [(anniversary.replace(year=anniversary.year - 1), hourly_cost)]
        cost = hourly_cost
        current = anniversary
        while current <= params.end:
            cost = cents(cost * Decimal(str(round(1 + rng.uniform(0.02, 0.05), 4))))
            history.append((current, cost))
            current = current.replace(year=current.year + 1)
        skills = sorted(rng.sample(SKILL_POOL, k=2 + level), key=SKILL_POOL.index)
        metro = rng.choice(names.METROS[:6])
        lat, lon = _jitter(rng, metro[2], metro[3], 25)
        pto: set[date] = set()
        for year in range(params.start.year, params.end.year + 1):
            year_rng = stream(params.seed, "pto", n, year)
            days_off = year_rng.randint(10, 15)
            while len([d for d in pto if d.year == year]) < days_off:
                day = date(year, 1, 1) + timedelta(days=year_rng.randint(0, 364))
                if is_business_day(day):
                    pto.add(day)
        techs.append(
            Technician(
                technician_id=f"T{n:03d}",
                number=n,
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}{n}@northwind-msp.com",
                role=role,
                level=level,
                skills=tuple((s, min(5, level + rng.randint(0, 2))) for s in skills),
                home_latitude=lat,
                home_longitude=lon,
                weekly_billable_target=Decimal("32.0") if level == 1 else Decimal("30.6"),
                cost_history=tuple(history),
                hourly_rate=Decimal("150.00") if level < 3 else Decimal("175.00"),
                pto_days=frozenset(pto),
                hired_on=hired,
            )
        )
    return tuple(techs)


def _subscriptions(
    params: Params, rng: random.Random, client_id: str, tier: str, n_users: int
) -> tuple[Subscription, ...]:
    base = weighted(
        rng,
        ("basic", "standard", "premium", "e3"),
        {
            "Essentials": (0.35, 0.45, 0.2, 0.0),
            "Pro": (0.05, 0.35, 0.55, 0.05),
            "Premium": (0.0, 0.1, 0.7, 0.2),
        }[tier],
    )
    plans: list[tuple[str, tuple[int, ...]]] = [(base, tuple(range(n_users)))]
    if tier != "Essentials" and n_users >= 5 and rng.random() < 0.3:
        k = max(1, round(n_users * rng.uniform(0.1, 0.3)))
        plans.append(("copilot", tuple(sorted(rng.sample(range(n_users), k)))))
    subs = []
    for i, (key, users) in enumerate(plans, start=1):
        sku = SKUS[key]
        annual = rng.random() < 0.8
        price = sku.list_price if annual else cents(sku.list_price * Decimal("1.2"))
        margin = Decimal(str(round(rng.uniform(0.06, 0.15), 3)))
        start = params.start - timedelta(days=rng.randint(30, 700))
        subs.append(
            Subscription(
                subscription_id=stable_uuid(params.seed, "subscription", client_id, i),
                client_id=client_id,
                sku=sku,
                assigned_users=users,
                unit_cost=cents(price * (1 - margin)),
                unit_price=price,
                billing_term="monthly",
                commitment_months=12 if annual else 1,
                start_date=start,
                addition_id=f"AD-{client_id}-{i}",
            )
        )
    return tuple(subs)


def _agreement(
    params: Params, rng: random.Random, client_id: str, tier: str, price: Decimal, n_users: int, created: date
) -> Agreement:
    kind = weighted(rng, ("managed_services", "block_hours", "time_and_materials"), (0.7, 0.15, 0.15))
    rate = rng.choice((Decimal("135.00"), Decimal("150.00"), Decimal("165.00"), Decimal("175.00")))
    term = weighted(rng, (12, 36, 0), (0.5, 0.4, 0.1))
    start = max(created, params.start - timedelta(days=rng.randint(0, 900)))
    end = add_months(start, term) - timedelta(days=1) if term else None
    notice = rng.choice((60, 90)) if term else 30
    if kind == "managed_services":
        premium = {12: Decimal("1.0"), 36: Decimal("0.95"), 0: Decimal("1.1")}[term]
        fee = cents(price * n_users * premium)
        return Agreement(
            f"A{client_id[1:]}-1",
            client_id,
            f"Managed Services - {tier}",
            kind,
            start,
            end,
            "monthly",
            fee,
            None,
            rate,
            None,
            True,
            term > 0,
            12 if term else None,
            notice,
        )
    if kind == "block_hours":
        block = rng.choice((Decimal("10"), Decimal("20"), Decimal("40")))
        block_rate = cents(rate * Decimal("0.86"))
        return Agreement(
            f"A{client_id[1:]}-1",
            client_id,
            f"Block of Time - {block} h",
            kind,
            start,
            end,
            "one_time",
            cents(block * block_rate),
            block,
            block_rate,
            rate,
            True,
            term > 0,
            12 if term else None,
            notice,
        )
    return Agreement(
        f"A{client_id[1:]}-1",
        client_id,
        "Time and Materials",
        kind,
        start,
        end,
        "monthly",
        Decimal("0.00"),
        None,
        rate,
        None,
        False,
        term > 0,
        12 if term else None,
        notice,
    )


def build_client(
    params: Params, n: int, technicians: tuple[Technician, ...], managers: tuple[tuple[str, str], ...]
) -> Client:
    rng = stream(params.seed, "client", n)
    client_id = f"C{n:04d}"
    name = " ".join(
        (
            rng.choice(names.COMPANY_FIRST),
            second := rng.choice(names.COMPANY_SECOND),
            rng.choice(names.COMPANY_SUFFIX),
        )
    )
    domain = f"{_slug(name.rsplit(' ', 1)[0])}{n}.com"
    tier, price = weighted(rng, TIERS, TIER_WEIGHTS)
    n_users = max(3, min(150, round(lognormal_median(rng, 15, 0.9))))
    users = []
    for u in range(n_users):
        first, last = _person(rng)
        users.append(
            User(
                user_id=stable_uuid(params.seed, "user", client_id, u),
                upn=f"{first[0].lower()}{last.lower()}{u}@{domain}",
                display_name=f"{first} {last}",
                department=rng.choice(names.DEPARTMENTS),
            )
        )
    metro = weighted(rng, names.METROS, (4, 2, 2, 1, 1, 1, 0.5, 0.5))
    sites = []
    for s in range(1 + (n_users > 25) + (n_users > 70)):
        lat, lon = _jitter(rng, metro[2], metro[3], 12)
        sites.append(
            Site(
                site_id=f"S{client_id[1:]}-{s + 1}",
                name=names.SITE_NAMES[0] if s == 0 else rng.choice(names.SITE_NAMES[1:]),
                address=f"{rng.randint(10, 9999)} {rng.choice(names.STREETS)}",
                city=metro[0],
                state=metro[1],
                postal_code=f"{metro[4]}{rng.randint(0, 99):02d}",
                latitude=lat,
                longitude=lon,
                primary=s == 0,
            )
        )
    created = params.start - timedelta(days=rng.randint(60, 2500))
    manager = managers[rng.randrange(len(managers))]
    late = rng.random() < 0.2
    return Client(
        client_id=client_id,
        number=n,
        name=name,
        domain=domain,
        tier=tier,
        industry=names.INDUSTRY_OF[second],
        users=tuple(users),
        endpoints=max(n_users, round(n_users * rng.uniform(1.2, 1.6))),
        servers=0 if n_users < 8 else min(5, int(rng.expovariate(1.0) + 0.5)),
        sites=tuple(sites),
        created_on=created,
        account_manager_id=manager[0],
        account_manager_name=manager[1],
        tenant_id=stable_uuid(params.seed, "tenant", client_id),
        agreement=_agreement(params, rng, client_id, tier, price, n_users, created),
        subscriptions=_subscriptions(params, rng, client_id, tier, n_users),
        tickets_per_user_month=round(lognormal_median(rng, 0.9, 0.3), 3),
        csat_positive=round(min(0.99, max(0.7, rng.betavariate(23, 2))), 3),
        days_to_pay_mean=round(rng.uniform(38, 65) if late else rng.uniform(12, 27), 1),
        late_payer=late,
        tax_rate=rng.choice((Decimal("0"), Decimal("0.0625"), Decimal("0.0725"), Decimal("0.08"))),
        payment_method=weighted(rng, ("ach", "check", "card", "wire"), (0.55, 0.25, 0.15, 0.05)),
        primary_technician_id=technicians[rng.randrange(len(technicians))].technician_id,
    )


def build_world(params: Params) -> World:
    technicians = build_technicians(params)
    manager_rng = stream(params.seed, "account-managers")
    managers = tuple(
        (f"AM{i + 1:02d}", " ".join(_person(manager_rng))) for i in range(max(1, params.clients // 40 + 1))
    )
    clients = tuple(build_client(params, n, technicians, managers) for n in range(1, params.clients + 1))
    return World(params=params, clients=clients, technicians=technicians, account_managers=managers)
