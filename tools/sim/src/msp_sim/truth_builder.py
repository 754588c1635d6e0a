"""Turns the plan and what the generators observed into the ``Truth`` document."""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal

from msp_sim.context import Observations
from msp_sim.contracts import VendorContract
from msp_sim.crm import WIN_DRIVERS
from msp_sim.licensing import extra_users
from msp_sim.params import Params
from msp_sim.problems import Plan
from msp_sim.rng import cents
from msp_sim.spend_catalog import CLOUD_ACCOUNT, CLOUD_LINES, EXPENSE_STREAMS
from msp_sim.timeline import period
from msp_sim.truth import (
    DEFINITIONS,
    Churn,
    ContractNotice,
    LicenceProblem,
    MarginErosion,
    MonthObservation,
    RunInfo,
    Sales,
    SpendAnomaly,
    Truth,
    Utilisation,
    WonLost,
)
from msp_sim.world import World

PCT = Decimal("0.0001")


def _months(params: Params, observed: Observations, client_id: str) -> list[MonthObservation]:
    out = []
    for first in params.month_starts():
        m = observed.clients.get((client_id, period(first)))
        if m is None:
            out.append(
                MonthObservation(
                    period=period(first),
                    tickets_opened=0,
                    sla_breaches=0,
                    csat_responses=0,
                    csat_negative=0,
                    labour_hours=Decimal(0),
                    labour_cost=Decimal(0),
                    invoiced=Decimal(0),
                    mean_days_to_pay=None,
                )
            )
            continue
        out.append(
            MonthObservation(
                period=period(first),
                tickets_opened=m.tickets_opened,
                sla_breaches=m.sla_breaches,
                csat_responses=m.csat_responses,
                csat_negative=m.csat_negative,
                labour_hours=m.labour_hours,
                labour_cost=cents(m.labour_cost),
                invoiced=cents(m.invoiced),
                mean_days_to_pay=Decimal(str(round(statistics.fmean(m.days_to_pay), 1)))
                if m.days_to_pay
                else None,
            )
        )
    return out


def _utilisation(params: Params, observed: Observations, technician_id: str) -> Decimal:
    client_hours = Decimal(0)
    available = Decimal(0)
    for first in params.month_starts():
        t = observed.techs.get((technician_id, period(first)))
        if t is not None:
            client_hours += t.client_hours
            available += Decimal(t.business_days * 8) - t.absence_hours
    return (client_hours / available).quantize(PCT) if available else Decimal(0)


def _mean(values: list[Decimal]) -> Decimal:
    return cents(sum(values, Decimal(0)) / len(values)) if values else Decimal(0)


def build_truth(
    params: Params, world: World, plan: Plan, observed: Observations, contracts: list[VendorContract]
) -> Truth:
    clients = {c.client_id: c for c in world.clients}
    erosion = []
    for cid in sorted(set(plan.scope_creep) | set(plan.cost_rises)):
        agreement_id = clients[cid].agreement.agreement_id
        if cid in plan.scope_creep:
            sc = plan.scope_creep[cid]
            erosion.append(
                MarginErosion(
                    client_id=cid,
                    agreement_id=agreement_id,
                    mechanism="scope_creep",
                    starts_on=sc.starts_on,
                    ticket_volume_multiplier_at_end=Decimal(str(round(1 + sc.growth, 3))),
                    technician_id=None,
                    old_hourly_cost=None,
                    new_hourly_cost=None,
                    fee_repriced=False,
                    observed=_months(params, observed, cid),
                )
            )
        else:
            cr = plan.cost_rises[cid]
            erosion.append(
                MarginErosion(
                    client_id=cid,
                    agreement_id=agreement_id,
                    mechanism="cost_rate_rise",
                    starts_on=cr.effective_from,
                    ticket_volume_multiplier_at_end=None,
                    technician_id=cr.technician_id,
                    old_hourly_cost=cr.old_rate,
                    new_hourly_cost=cr.new_rate,
                    fee_repriced=False,
                    observed=_months(params, observed, cid),
                )
            )
    churn = [
        Churn(
            client_id=cid,
            agreement_id=clients[cid].agreement.agreement_id,
            mechanism=c.mechanism,
            driver=c.driver,
            signals_from=c.signals_from,
            notice_on=c.notice_on,
            churned_on=c.churned_on,
            ticket_volume_multiplier=Decimal(str(c.ticket_multiplier)),
            sla_breach_rate=Decimal(str(c.sla_breach_rate)),
            negative_csat_rate=Decimal(str(c.negative_csat_rate)),
            extra_days_to_pay=Decimal(str(c.extra_days_to_pay)),
            observed=_months(params, observed, cid),
        )
        for cid, c in sorted(plan.churn.items())
    ]
    licences = []
    for sub_id, lp in sorted(plan.licences.items(), key=lambda kv: (kv[1].kind, kv[1].client_id, kv[0])):
        client = clients[lp.client_id]
        sub = next(s for s in client.subscriptions if s.subscription_id == sub_id)
        purchased = len(sub.assigned_users)
        if lp.kind == "over_deployed":
            users = [u.user_id for u in extra_users(params.seed, client, lp.user_indices)]
            assigned, billed = purchased + len(users), purchased
            detectable = lp.from_date
        elif lp.kind == "unused":
            users = [client.users[i].user_id for i in lp.user_indices]
            assigned, billed = purchased, purchased
            detectable = lp.from_date + timedelta(days=30)
        else:
            users = []
            assigned, billed = purchased, purchased - lp.billed_shortfall
            detectable = lp.from_date
        licences.append(
            LicenceProblem(
                kind=lp.kind,
                client_id=lp.client_id,
                subscription_id=sub_id,
                sku_id=sub.sku.sku_id,
                from_date=lp.from_date,
                purchased=purchased,
                assigned=assigned,
                billed=billed,
                user_ids=users,
                detectable_from=detectable,
            )
        )
    expense = {s.key: s for s in EXPENSE_STREAMS}
    cloud = {c.key: c for c in CLOUD_LINES}
    spend = []
    for key, sp in sorted(plan.spend.items(), key=lambda kv: kv[1].anomaly_id):
        points = observed.spend.get(key, [])
        before = [a for d, a in points if sp.start - timedelta(days=28) <= d < sp.start]
        window_from = sp.end - timedelta(days=13) if sp.shape == "drift" else sp.start
        window = [a for d, a in points if window_from <= d <= sp.end]
        if sp.source == "expense":
            s = expense[key]
            spend.append(
                SpendAnomaly(
                    anomaly_id=sp.anomaly_id,
                    source="expense",
                    shape=sp.shape,
                    department=s.department,
                    vendor=s.vendor,
                    category=s.category,
                    service=None,
                    linked_account_id=None,
                    start=sp.start,
                    end=sp.end,
                    baseline_daily=s.baseline(params.clients),
                    magnitude=Decimal(str(sp.magnitude)),
                    observed_baseline_mean=_mean(before),
                    observed_window_mean=_mean(window),
                )
            )
        else:
            c = cloud[key]
            spend.append(
                SpendAnomaly(
                    anomaly_id=sp.anomaly_id,
                    source="cloud",
                    shape=sp.shape,
                    department=c.department,
                    vendor=None,
                    category=None,
                    service=c.service,
                    linked_account_id=CLOUD_ACCOUNT[0],
                    start=sp.start,
                    end=sp.end,
                    baseline_daily=c.baseline(params.clients),
                    magnitude=Decimal(str(sp.magnitude)),
                    observed_baseline_mean=_mean(before),
                    observed_window_mean=_mean(window),
                )
            )
    notices = []
    for vc in contracts:
        if vc.received_at.date() > params.end:
            continue
        deadline = vc.notice_deadline()
        t = vc.terms
        notices.append(
            ContractNotice(
                document_id=vc.document_id,
                contract_id=vc.contract_id,
                vendor_name=t.vendor_name,
                client_id=vc.client_id,
                received_at=vc.received_at.date(),
                effective_date=t.effective_date,
                term_months=t.term_months,
                auto_renews=t.auto_renews,
                renewal_term_months=t.renewal_term_months,
                notice_days=t.notice_days,
                term_end=vc.term_end(),
                notice_deadline=deadline,
                near_notice=deadline is not None and vc.received_at.date() <= deadline <= params.end,
                planted=vc.planted,
                media_type="application/pdf" if vc.as_pdf else "text/plain",
            )
        )
    team = {t.technician_id: _utilisation(params, observed, t.technician_id) for t in world.technicians}
    median = Decimal(str(statistics.median(team.values()))).quantize(PCT) if team else Decimal(0)
    utilisation = [
        Utilisation(
            technician_id=tid,
            kind="over" if w > 1 else "under",
            load_weight=Decimal(str(w)),
            observed_utilisation=team[tid],
            team_median_utilisation=median,
        )
        for tid, w in sorted(plan.load_weights.items())
    ]
    return Truth(
        run=RunInfo(
            seed=params.seed,
            clients=params.clients,
            technicians=params.technicians,
            months=params.months,
            start=params.start,
            end=params.end,
            currency=params.currency,
        ),
        definitions=DEFINITIONS,
        margin_erosion=erosion,
        churn=churn,
        licences=licences,
        spend_anomalies=spend,
        contracts=notices,
        utilisation=utilisation,
        sales=Sales(
            drivers=WIN_DRIVERS,
            opportunities=[WonLost.model_validate(o) for o in observed.opportunities],
        ),
    )
