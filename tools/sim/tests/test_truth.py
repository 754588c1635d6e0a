"""Every planted problem in the truth is visible in the events."""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from msp_sim.rng import cents

from .conftest import Run


def test_something_of_every_kind_is_planted(run: Run) -> None:
    t = run.truth
    assert {e.mechanism for e in t.margin_erosion} == {"scope_creep", "cost_rate_rise"}
    assert t.churn
    assert {p.kind for p in t.licences} == {"over_deployed", "unused", "assigned_unbilled"}
    assert {a.shape for a in t.spend_anomalies} == {"spike", "level_shift", "drift"}
    assert {a.source for a in t.spend_anomalies} == {"expense", "cloud"}
    assert any(c.near_notice for c in t.contracts)
    assert {u.kind for u in t.utilisation} == {"over", "under"}


def test_over_deployed_assigned_exceeds_purchased(run: Run) -> None:
    for problem in (p for p in run.truth.licences if p.kind == "over_deployed"):
        quantity = {
            e.data.quantity
            for e in run.of_type("licensing.subscription.upserted")
            if e.data.subscription_id == problem.subscription_id and e.data.status == "active"
        }
        assert quantity == {problem.purchased}
        holders: dict[date, set[str]] = defaultdict(set)
        for e in run.of_type("licensing.seat.activity"):
            if e.data.client_id == problem.client_id and any(
                a.sku_id == problem.sku_id for a in e.data.assigned_licences
            ):
                holders[e.data.observed_at.date()].add(e.data.user_id)
        after = [users for day, users in holders.items() if day >= problem.from_date]
        assert after and all(len(users) == problem.assigned > problem.purchased for users in after)
        assert all(
            len(users) <= problem.purchased for day, users in holders.items() if day < problem.from_date
        )


def test_unused_seats_have_no_sign_in_for_30_days(run: Run) -> None:
    for problem in (p for p in run.truth.licences if p.kind == "unused"):
        seen = 0
        for e in run.of_type("licensing.seat.activity"):
            if e.data.user_id in problem.user_ids and e.data.observed_at.date() >= problem.detectable_from:
                assert any(a.sku_id == problem.sku_id for a in e.data.assigned_licences)
                assert e.data.observed_at - e.data.last_sign_in_at >= timedelta(days=30)
                seen += 1
        assert seen >= len(problem.user_ids)


def test_no_unplanted_idle_seats(run: Run) -> None:
    idle = {u for p in run.truth.licences if p.kind == "unused" for u in p.user_ids}
    for e in run.of_type("licensing.seat.activity"):
        if e.data.user_id not in idle:
            assert e.data.observed_at - e.data.last_sign_in_at < timedelta(days=7)


def test_assigned_unbilled_invoice_quantity_below_assigned(run: Run) -> None:
    for problem in (p for p in run.truth.licences if p.kind == "assigned_unbilled"):
        billed = {
            e.data.invoice_date: line.quantity
            for e in run.of_type("billing.invoice.issued")
            if e.data.client_id == problem.client_id
            for line in e.data.lines
            if line.vendor_sku == problem.sku_id
        }
        after = [q for d, q in billed.items() if d >= problem.from_date]
        assert after and all(q == problem.billed < problem.assigned for q in after)
        assert all(q == problem.assigned for d, q in billed.items() if d < problem.from_date)


def test_churned_clients_leave_with_their_signals(run: Run) -> None:
    for churn in run.truth.churn:
        client = [e.data for e in run.of_type("psa.client.upserted") if e.data.client_id == churn.client_id]
        assert client[-1].status == "churned" and client[-1].churned_on == churn.churned_on
        agreement = [
            e.data for e in run.of_type("psa.agreement.upserted") if e.data.agreement_id == churn.agreement_id
        ]
        assert agreement[-1].cancelled and agreement[-1].cancelled_date == churn.churned_on
        assert any(a.end_date == churn.churned_on and not a.auto_renew for a in agreement)
        opened = [
            e.data.opened_at.date()
            for e in run.of_type("psa.ticket.updated")
            if e.data.client_id == churn.client_id and e.data.status == "new"
        ]
        assert max(opened) <= churn.churned_on
        before = [m for m in churn.observed if m.period < churn.signals_from.isoformat()[:7]]
        during = [
            m
            for m in churn.observed
            if churn.signals_from.isoformat()[:7] < m.period <= churn.notice_on.isoformat()[:7]
        ]
        if before and during:
            rate = lambda ms: sum(m.sla_breaches for m in ms) / max(1, sum(m.tickets_opened for m in ms))  # noqa: E731
            pay = lambda ms: max((m.mean_days_to_pay or Decimal(0)) for m in ms)  # noqa: E731
            assert rate(during) > rate(before) or pay(during) > pay(before)


def _series(run: Run, source: str, anomaly: object) -> dict[date, list[Decimal]]:
    out: dict[date, list[Decimal]] = defaultdict(list)
    if source == "expense":
        for e in run.of_type("finance.expense.recorded"):
            if (e.data.department, e.data.vendor, e.data.category) == (
                anomaly.department,
                anomaly.vendor,
                anomaly.category,
            ):  # type: ignore[attr-defined]
                out[e.data.expense_date].append(e.data.amount.amount)
    else:
        for e in run.of_type("cloud.cost.recorded"):
            if e.data.service == anomaly.service:  # type: ignore[attr-defined]
                out[e.data.usage_date].append(e.data.unblended_cost.amount)
    return out


def test_spend_anomalies_exceed_the_baseline_by_their_magnitude(run: Run) -> None:
    for a in run.truth.spend_anomalies:
        series = _series(run, a.source, a)
        before = [x for d, xs in series.items() if a.start - timedelta(days=28) <= d < a.start for x in xs]
        window_from = a.end - timedelta(days=13) if a.shape == "drift" else a.start
        window = [x for d, xs in series.items() if window_from <= d <= a.end for x in xs]
        base = sum(before) / len(before)
        level = sum(window) / len(window)
        assert abs(base - a.baseline_daily) / a.baseline_daily < Decimal("0.2")
        expected = 1 + (a.magnitude - 1) * (Decimal("0.8") if a.shape == "drift" else Decimal("0.9"))
        assert level / base >= expected, (a.anomaly_id, a.shape, level / base, a.magnitude)
        assert a.observed_window_mean == cents(level)


def test_contracts_near_notice_state_their_notice_clause(run: Run) -> None:
    docs = {e.data.document_id: e.data for e in run.of_type("vcm.contract.document.received")}
    assert len(docs) == len(run.truth.contracts)
    words = {30: "thirty", 60: "sixty", 90: "ninety"}
    months = {30: "one", 60: "two", 90: "three"}
    for c in run.truth.contracts:
        doc = docs[c.document_id]
        if doc.media_type == "application/pdf":
            assert base64.b64decode(doc.content_base64).startswith(b"%PDF")
            assert len(doc.content_base64) < 270_000
            continue
        assert doc.text is not None and len(doc.text) < 200_000
        if c.near_notice:
            text = " ".join(doc.text.lower().split())
            assert c.notice_deadline == c.term_end - timedelta(days=c.notice_days or 0)
            assert "notice" in text
            n = c.notice_days or 0
            assert str(n) in text or words[n] in text or f"{months[n]} (" in text or f"({n // 30})" in text
    assert any(c.planted and c.near_notice for c in run.truth.contracts)


def test_scope_creep_raises_hours_on_the_fixed_fee(run: Run) -> None:
    for erosion in (e for e in run.truth.margin_erosion if e.mechanism == "scope_creep"):
        hours: dict[str, Decimal] = defaultdict(Decimal)
        for e in run.of_type("psa.time_entry.logged"):
            if e.data.agreement_id == erosion.agreement_id:
                hours[e.data.work_date.isoformat()[:7]] += e.data.hours
        assert [hours[m.period] for m in erosion.observed] == [m.labour_hours for m in erosion.observed]
        before = [hours[p] for p in sorted(hours) if p < erosion.starts_on.isoformat()[:7]]
        last = [hours[p] for p in sorted(hours)][-2:]
        assert before
        assert sum(last) / len(last) > Decimal("1.15") * sum(before) / len(before)
        fees = {
            line.amount.amount
            for e in run.of_type("billing.invoice.issued")
            if e.data.client_id == erosion.client_id
            for line in e.data.lines
            if line.line_type == "agreement_fee"
        }
        assert len(fees) == 1  # never repriced


def test_cost_rate_rise_is_effective_dated_and_not_repriced(run: Run) -> None:
    for erosion in (e for e in run.truth.margin_erosion if e.mechanism == "cost_rate_rise"):
        techs = [
            e.data
            for e in run.of_type("psa.technician.upserted")
            if e.data.technician_id == erosion.technician_id
        ]
        rates = {(r.effective_from, r.hourly_cost.amount) for t in techs for r in t.cost_rates}
        assert (erosion.starts_on, erosion.new_hourly_cost) in rates
        announced = [
            e
            for e in run.of_type("psa.technician.upserted")
            if e.data.technician_id == erosion.technician_id and e.time.date() == erosion.starts_on
        ]
        assert announced
        fees = {
            line.amount.amount
            for e in run.of_type("billing.invoice.issued")
            if e.data.client_id == erosion.client_id
            for line in e.data.lines
            if line.line_type == "agreement_fee"
        }
        assert len(fees) == 1


def test_over_and_under_utilised_technicians(run: Run) -> None:
    client_hours: dict[str, Decimal] = defaultdict(Decimal)
    absence: dict[str, Decimal] = defaultdict(Decimal)
    days: dict[str, int] = defaultdict(int)
    for e in run.of_type("psa.time_entry.logged"):
        d = e.data
        if d.absence:
            absence[d.technician_id] += d.hours
        elif d.client_id != "C0000":
            client_hours[d.technician_id] += d.hours
        if d.client_id == "C0000":
            days[d.technician_id] += 1
    utilisation = {t: client_hours[t] / (days[t] * 8 - absence[t]) for t in days}
    team = median(utilisation.values())
    for u in run.truth.utilisation:
        assert abs(utilisation[u.technician_id] - u.observed_utilisation) < Decimal("0.001")
        if u.kind == "over":
            assert utilisation[u.technician_id] > team * Decimal("1.15")
        else:
            assert utilisation[u.technician_id] < team * Decimal("0.85")
