"""The key figures and the owner's action list, in money, from the findings (Decimal throughout).

Shared by the briefing (terminal), the report and ``summary.json`` so the three say the same
numbers. An action is something a person can do this month, with what it is worth a month.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from msp_demo.findings import Findings

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Action:
    agent: str
    what: str
    monthly: Decimal
    """What acting is worth a month (or what is at stake a month), in the run currency."""
    detail: str


def money(value: Any) -> Decimal:
    """A money field as the APIs answer it (``{"amount": "1.00"}`` or ``"1.00"``); None is 0."""
    if value is None:
        return ZERO
    if isinstance(value, dict):
        return Decimal(str(value["amount"]))
    return Decimal(str(value))


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO).quantize(CENT)


def last_month(findings: Findings, client_id: str) -> dict[str, Any] | None:
    months = findings.margins.get(client_id) or []
    return months[-1] if months else None


def actions(findings: Findings) -> list[Action]:
    """Open findings worth money, largest first (ties by agent and text: stable)."""
    out: list[Action] = []
    for f in findings.licences:
        if f["status"] != "open":
            continue
        out.append(
            Action(
                "sli",
                f"{f['client_id']} {f['product_name']}: "
                f"{f['finding_class'].replace('_', ' ')} ({f['seats']} seats)",
                money(f["monthly"]),
                f["action_text"],
            )
        )
    for client in findings.clients:
        latest = last_month(findings, client["client_id"])
        if latest is None or client.get("status") == "churned":
            continue
        revenue = money(latest["revenue"]["total"])
        if client.get("band") in ("thin", "critical") or client.get("problem_client"):
            target = Decimal("60")
            margin = Decimal(str(client["gross_margin_pct"] or 0))
            gap = (revenue * (target - margin) / 100).quantize(CENT)
            out.append(
                Action(
                    "cpi",
                    f"{client['name']}: margin {margin} % ({client['band']})",
                    gap,
                    f"profit short of a {target} % margin on {revenue} of revenue in {latest['month']}",
                )
            )
        if client.get("churn_band") == "high":
            out.append(
                Action(
                    "cpi",
                    f"{client['name']}: churn risk {Decimal(str(client['churn_risk'])) * 100:.0f} %",
                    revenue,
                    f"monthly revenue at stake ({latest['month']})",
                )
            )
    for a in findings.anomalies:
        if a["status"] == "open" and a["dimension"] != "department":
            out.append(
                Action(
                    "dsa",
                    f"{a['department']}: {a['shape'].replace('_', ' ')} in {a['dimension']} {a['value']}",
                    money(a["impact"]),
                    f"{a['period_start']} to {a['period_end']}: {money(a['actual'])} spent vs "
                    f"{money(a['expected'])} expected",
                )
            )
    for r in latest_renewals(findings):
        if r["notice_deadline"] < run_end(findings):
            continue  # the deadline passed before the log ends: nothing to act on any more
        out.append(
            Action(
                "vcm",
                f"{r['vendor']}: notice deadline {r['notice_deadline']}",
                # contract.renewal.due 2.0 may have no value: at stake unknown, listed at 0 a month
                (money(r.get("annual_value")) / 12).quantize(CENT),
                r["summary"],
            )
        )
    return sorted(out, key=lambda a: (-a.monthly, a.agent, a.what))


def run_end(findings: Findings) -> str:
    """The last day of the run (ISO), the agents' "today" when the log ends."""
    last = findings.months[-1]
    year, month = int(last[:4]), int(last[5:])
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1).isoformat()


def latest_renewals(findings: Findings) -> list[dict[str, Any]]:
    """The last reminder VCM sent per contract."""
    latest: dict[str, dict[str, Any]] = {}
    for r in findings.renewals_due:
        latest[r["contract_id"]] = r
    return sorted(latest.values(), key=lambda r: (r["notice_deadline"], r["contract_id"]))


def key_figures(findings: Findings) -> dict[str, Any]:
    """The headline numbers (money as Decimal: the summary writes them as strings)."""
    revenue = profit = ZERO
    period = None
    for client in findings.clients:
        latest = last_month(findings, client["client_id"])
        if latest is None:
            continue
        period = max(period or latest["month"], latest["month"])
    for client in findings.clients:
        for m in findings.margins.get(client["client_id"], []):
            if m["month"] == period:
                revenue += money(m["revenue"]["total"])
                profit += money(m["profit"])
    open_licences = [f for f in findings.licences if f["status"] == "open"]
    forecast = findings.pipeline.get("months", [])
    return {
        "last_judged_month": period,
        "revenue_last_month": revenue.quantize(CENT),
        "gross_profit_last_month": profit.quantize(CENT),
        "gross_margin_pct_last_month": (profit / revenue * 100).quantize(CENT) if revenue else None,
        "clients": len(findings.clients),
        "clients_thin_or_critical": sum(1 for c in findings.clients if c.get("band") in ("thin", "critical")),
        "clients_high_churn_risk": sum(1 for c in findings.clients if c.get("churn_band") == "high"),
        "licence_leakage_monthly": _sum(
            money(f["monthly"]) for f in open_licences if f["nature"] == "leakage"
        ),
        "licence_savings_monthly": _sum(
            money(f["monthly"]) for f in open_licences if f["nature"] == "saving"
        ),
        "spend_anomalies_open": sum(1 for a in findings.anomalies if a["status"] == "open"),
        "spend_anomaly_impact": _sum(
            money(a["impact"]) for a in findings.anomalies if a["dimension"] == "department"
        ),
        "pipeline_weighted_recurring_monthly": _sum(money(m["weighted_recurring_monthly"]) for m in forecast),
        "pipeline_weighted_one_time": _sum(money(m["weighted_one_time"]) for m in forecast),
        "renewals_due": len(latest_renewals(findings)),
        "decisions": len(findings.decisions),
        "cross_agent_chains": len(findings.chains),
    }
