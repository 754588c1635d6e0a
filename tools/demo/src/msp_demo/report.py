"""``out/demo/report.html``: one self-contained file (plotly.js inlined, no network when viewed) with
the charts a person would rather look at than read, a section per agent question.

Every section has an id (``SECTIONS``) so a link can point at it and the browser test can check it.
A section without data says so instead of drawing an empty chart. The cross-agent chains carry
their trace tree (``msp_replay.trace``) in a ``<details>`` and the ``msp-trace`` command that
prints it.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from msp_demo.briefing import SHOWN_ACTIONS
from msp_demo.figures import actions, key_figures, latest_renewals, money
from msp_demo.findings import Chain, Decision, Findings
from msp_demo.scoring import AgentScore

SECTIONS = {
    "briefing": "Executive briefing",
    "profitability": "Profitability by client and the margin trend",
    "churn": "Churn risk",
    "pipeline": "Pipeline forecast",
    "utilisation": "Technician utilisation",
    "route": "One day's on-site routes",
    "licences": "Licence leakage and savings",
    "spend": "Spend against budget, anomalies marked",
    "renewals": "Vendor contract renewals",
    "decisions": "Decision log",
    "chains": "Cross-agent chains",
    "detection": "Planted problems found",
}
BAND_COLOURS = {"strong": "#2e7d32", "healthy": "#7cb342", "thin": "#f9a825", "critical": "#c62828"}
CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#1d2733;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#b8c4d0;font-size:13px}nav{padding:8px 32px;background:#e8edf2;font-size:13px}
nav a{margin-right:14px;color:#1d4f91;text-decoration:none}main{padding:8px 32px 40px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 3px #0002}
h2{font-size:18px;margin:0 0 8px}table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #e3e8ee;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}.empty{color:#68737d;font-style:italic}code{background:#eef1f4;padding:1px 4px}
details ul{list-style:none;padding-left:18px;border-left:1px dotted #9aa5b1}details li{margin:2px 0}
.target{font-weight:bold;color:#a15c00}.dim{color:#68737d}.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{background:#f0f4f8;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi b{display:block;font-size:18px}
.approve{color:#2e7d32}.reject{color:#c62828}.abstain{color:#68737d}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{currency} {value:,.2f}"


def _figure(fig: go.Figure, div_id: str, height: int = 380, *, months: bool = False) -> str:
    if months:
        fig.update_xaxes(type="category", categoryorder="category ascending")  # YYYY-MM, not days
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 30, "b": 50}, template="plotly_white")
    page: str = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id, config=CONFIG)
    return page


def _empty(text: str) -> str:
    return f'<p class="empty">{_e(text)}</p>'


# -- sections -------------------------------------------------------------------------------------------


def briefing(f: Findings, run_info: str) -> str:
    k = key_figures(f)
    c = f.currency
    kpis = [
        (f"revenue {k['last_judged_month']}", _fmt(k["revenue_last_month"], c)),
        ("gross margin", f"{k['gross_margin_pct_last_month']} %"),
        ("thin or critical clients", str(k["clients_thin_or_critical"])),
        ("high churn risk", str(k["clients_high_churn_risk"])),
        ("licence leakage / month", _fmt(k["licence_leakage_monthly"], c)),
        ("licence savings / month", _fmt(k["licence_savings_monthly"], c)),
        ("open spend anomalies", str(k["spend_anomalies_open"])),
        ("weighted pipeline / month", _fmt(k["pipeline_weighted_recurring_monthly"], c)),
    ]
    cards = "".join(f'<div class="kpi">{_e(label)}<b>{_e(value)}</b></div>' for label, value in kpis)
    rows = "".join(
        f"<tr><td class='n'>{n}</td><td>{_e(a.agent.upper())}</td><td>{_e(a.what)}</td>"
        f"<td class='n'>{_e(_fmt(a.monthly, c))}</td><td>{_e(a.detail)}</td></tr>"
        for n, a in enumerate(actions(f)[:SHOWN_ACTIONS], start=1)
    )
    table = (
        "<h3>Act on these first</h3><table><tr><th class='n'>#</th><th>agent</th><th>what</th>"
        f"<th class='n'>a month</th><th>why / how</th></tr>{rows}</table>"
        if rows
        else _empty("Nothing open that is worth money.")
    )
    return f'<div class="kpis">{cards}</div><p class="dim">{_e(run_info)}</p>{table}'


def profitability(f: Findings) -> str:
    clients = [c for c in f.clients if c.get("gross_margin_pct") is not None]
    if not clients:
        return _empty("CPI has not judged a month yet.")
    clients.sort(key=lambda c: Decimal(str(c["gross_margin_pct"])))
    bars = go.Figure(
        go.Bar(
            x=[c["name"] for c in clients],
            y=[float(c["gross_margin_pct"]) for c in clients],
            marker_color=[BAND_COLOURS.get(c.get("band") or "", "#607d8b") for c in clients],
            hovertext=[f"{c['client_id']} · {c['band']} · {c['month']}" for c in clients],
        )
    )
    bars.update_layout(title="Gross margin % by client (latest judged month)", yaxis_title="margin %")
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    profit: dict[str, Decimal] = defaultdict(Decimal)
    for months in f.margins.values():
        for m in months:
            revenue[m["month"]] += money(m["revenue"]["total"])
            profit[m["month"]] += money(m["profit"])
    periods = sorted(revenue)
    trend = go.Figure(
        go.Scatter(
            x=periods,
            y=[float(profit[m] / revenue[m] * 100) if revenue[m] else None for m in periods],
            mode="lines+markers",
            name="whole MSP",
            line={"width": 4, "color": "#1d2733"},
        )
    )
    worst = [c["client_id"] for c in clients[:5]]
    for client_id in worst:
        series = f.margins.get(client_id, [])
        trend.add_scatter(
            x=[m["month"] for m in series],
            y=[float(m["gross_margin_pct"]) if m["gross_margin_pct"] is not None else None for m in series],
            mode="lines",
            name=client_id,
        )
    trend.update_layout(
        title="Margin trend: the whole MSP and the five lowest clients", yaxis_title="margin %"
    )
    return _figure(bars, "chart-profitability") + _figure(trend, "chart-margin-trend", months=True)


def churn(f: Findings) -> str:
    rated = [c for c in f.clients if c.get("churn_risk") is not None]
    if not rated:
        return _empty("CPI has no churn risk yet (it needs closed months).")
    rated.sort(key=lambda c: -Decimal(str(c["churn_risk"])))
    colours = {"high": "#c62828", "medium": "#f9a825", "low": "#7cb342"}
    fig = go.Figure(
        go.Bar(
            x=[c["name"] for c in rated],
            y=[float(c["churn_risk"]) * 100 for c in rated],
            marker_color=[colours.get(c.get("churn_band") or "", "#607d8b") for c in rated],
        )
    )
    fig.update_layout(title="Probability of churn within 3 months, %", yaxis_title="%")
    churned = [c["name"] for c in f.clients if c.get("status") == "churned"]
    note = f"<p class='dim'>Churned during the run: {_e(', '.join(churned))}</p>" if churned else ""
    return _figure(fig, "chart-churn") + note


def pipeline(f: Findings) -> str:
    months = f.pipeline.get("months") or []
    if not months:
        return _empty("SPO has no open deals to forecast.")
    x = [m["month"] for m in months]

    def band(q: str) -> list[float]:
        return [float(money(m["recurring_monthly_bookings"][q])) for m in months]

    fig = go.Figure()
    fig.add_scatter(x=x, y=band("p90"), mode="lines", line={"width": 0}, name="p90", showlegend=False)
    fig.add_scatter(
        x=x,
        y=band("p10"),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        name="p10 to p90",
        fillcolor="rgba(29,79,145,0.25)",
    )
    fig.add_scatter(x=x, y=band("p50"), mode="lines+markers", name="median", line={"color": "#1d4f91"})
    fig.add_scatter(
        x=x,
        y=[float(money(m["weighted_recurring_monthly"])) for m in months],
        mode="markers",
        name="probability-weighted",
        marker={"symbol": "diamond", "color": "#a15c00"},
    )
    fig.update_layout(
        title=f"New recurring bookings per month ({f.pipeline.get('simulations', '?')} simulations, as of "
        f"{f.pipeline.get('as_of', '?')})",
        yaxis_title=f"{f.currency} a month",
    )
    return _figure(fig, "chart-pipeline", months=True)


def utilisation(f: Findings) -> str:
    technicians = sorted(
        {r["subject"] for rows in f.utilisation.values() for r in rows if r["scope"] == "technician"}
    )
    if not technicians:
        return _empty("RAM has no utilisation to show.")
    months = [m for m in f.months if f.utilisation.get(m)]
    z = []
    for t in technicians:
        row = []
        for m in months:
            value = next((r["utilisation_pct"] for r in f.utilisation[m] if r["subject"] == t), None)
            row.append(float(value) if value is not None else None)
        z.append(row)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=technicians,
            colorscale="RdYlGn_r",
            zmin=30,
            zmax=120,
            colorbar={"title": "%"},
            hovertemplate="%{y} %{x}: %{z} %<extra></extra>",
        )
    )
    fig.update_layout(title="Billable utilisation by technician and month")
    return _figure(fig, "chart-utilisation", height=max(260, 40 * len(technicians) + 120), months=True)


def route(f: Findings) -> str:
    if not f.route:
        return _empty("RAM planned no on-site day.")
    plan, visits, homes = f.route["plan"], f.route["visits"], f.route["homes"]
    fig = go.Figure()
    for r in plan["routes"]:
        points = [homes.get(r["technician_id"])] + [visits.get(s["visit_id"]) for s in r["stops"]]
        points.append(homes.get(r["technician_id"]))
        known = [p for p in points if p]
        fig.add_scatter(
            x=[p[1] for p in known],
            y=[p[0] for p in known],
            mode="lines+markers",
            name=f"{r['technician_id']} ({len(r['stops'])} stops, {r['distance_m'] / 1000:.0f} km)",
            text=["home"] + [s["visit_id"] + " " + s["arrival"] for s in r["stops"]] + ["home"],
        )
    dropped = [visits[d["visit_id"]] for d in plan["dropped"] if d["visit_id"] in visits]
    if dropped:
        fig.add_scatter(
            x=[p[1] for p in dropped],
            y=[p[0] for p in dropped],
            mode="markers",
            name="not served",
            marker={"symbol": "x", "size": 11, "color": "#c62828"},
        )
    fig.update_layout(
        title=f"{plan['date']}: routes by {plan['solver']} (longitude by latitude, no map tiles)",
        xaxis_title="longitude",
        yaxis_title="latitude",
        yaxis={"scaleanchor": "x"},
    )
    return _figure(fig, "chart-route", height=460)


def licences(f: Findings) -> str:
    open_ = [x for x in f.licences if x["status"] == "open"]
    if not f.licences:
        return _empty("SLI found no licence leakage.")
    fig = go.Figure()
    for cls in sorted({x["finding_class"] for x in open_}):
        rows = [x for x in open_ if x["finding_class"] == cls]
        fig.add_bar(
            x=[x["client_id"] for x in rows],
            y=[float(money(x["monthly"])) for x in rows],
            name=cls.replace("_", " "),
            hovertext=[x["action_text"] for x in rows],
        )
    fig.update_layout(
        barmode="stack", title="Open licence findings by client, a month", yaxis_title=f.currency
    )
    totals = go.Figure()
    for state in ("open", "realised"):
        rows = f.savings.get(state) or []
        totals.add_bar(
            x=[r["nature"] for r in rows], y=[float(money(r["monthly"])) for r in rows], name=state
        )
    totals.update_layout(barmode="group", title="Leakage and savings a month: open vs realised")
    return _figure(fig, "chart-licences") + _figure(totals, "chart-savings", height=300)


def spend(f: Findings) -> str:
    if not f.budgets:
        return _empty("DSA has no budgets.")
    fig = go.Figure()
    anomalies_by_department: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in f.anomalies:
        if a["dimension"] == "department":
            anomalies_by_department[a["department"]].append(a)
    for department, rows in f.budgets.items():
        rows = [r for r in rows if money(r["actual"]) > 0]
        if not rows:
            continue
        x = [r["month"][:7] for r in rows]
        actual = {r["month"][:7]: float(money(r["actual"])) for r in rows}
        fig.add_bar(x=x, y=list(actual.values()), name=f"{department} actual", legendgroup=department)
        fig.add_scatter(
            x=x,
            y=[float(money(r["planned"])) for r in rows],
            mode="lines",
            name=f"{department} budget",
            legendgroup=department,
            line={"dash": "dash"},
        )
        marks = anomalies_by_department.get(department, [])
        if marks:
            fig.add_scatter(
                x=[a["period_start"][:7] for a in marks],
                y=[actual.get(a["period_start"][:7], 0) for a in marks],
                mode="markers",
                name=f"{department} anomaly",
                legendgroup=department,
                marker={"symbol": "triangle-down", "size": 14, "color": "#c62828"},
                text=[
                    f"{a['shape']} {a['period_start']}..{a['period_end']}: +{a['impact']['amount']}"
                    for a in marks
                ],
            )
    fig.update_layout(
        barmode="group", title="Monthly spend by department against budget", yaxis_title=f.currency
    )
    return _figure(fig, "chart-spend", height=460, months=True)


def renewals(f: Findings) -> str:
    contracts = [c for c in f.contracts if c.get("notice_deadline")]
    if not contracts:
        return _empty("VCM has no contract with a notice deadline.")
    contracts.sort(key=lambda c: c["notice_deadline"])
    reminded = {r["contract_id"] for r in latest_renewals(f)}
    fig = go.Figure()
    fig.add_scatter(
        x=[c["notice_deadline"] for c in contracts],
        y=[c["vendor_name"] for c in contracts],
        mode="markers",
        name="notice deadline",
        marker={
            "size": 13,
            "symbol": "diamond",
            "color": ["#c62828" if c["contract_id"] in reminded else "#607d8b" for c in contracts],
        },
        text=[f"{c['contract_id']}: {c['currency']} {c['annual_value']} a year" for c in contracts],
    )
    fig.add_scatter(
        x=[c["term_end"] for c in contracts],
        y=[c["vendor_name"] for c in contracts],
        mode="markers",
        name="term ends (renews)",
        marker={"size": 10, "symbol": "circle-open", "color": "#1d4f91"},
    )
    fig.update_layout(title="Notice deadlines (red: VCM sent a reminder) and term ends")
    return _figure(fig, "chart-renewals", height=max(300, 28 * len(contracts) + 140))


def decisions(items: list[Decision]) -> str:
    if not items:
        return _empty(
            "No decisions were needed: no agent proposed an action that touches another agent's ground "
            "in this run."
        )
    rows = []
    for d in items:
        p, o = d.proposal or {}, d.outcome or {}
        votes = (
            "<br>".join(
                f"<span class='{_e(v['vote'])}'>{_e(v['voter'].upper())}: {_e(v['vote'])}</span>"
                f" — {_e(v['reason'])}"
                for v in d.votes
            )
            or "<span class='dim'>no votes in the log</span>"
        )
        impact = p.get("estimated_monthly_impact")
        shown = f"{impact['currency']} {impact['amount']}" if impact else ""
        when = str(p.get("proposed_at") or p.get("_time") or o.get("decided_at") or "")
        rows.append(
            f"<tr id='decision-{_e(d.decision_id)}'><td>{_e(when[:10])}</td>"
            f"<td>{_e((p.get('proposer') or o.get('proposer') or '?').upper())}</td>"
            f"<td>{_e(p.get('action') or o.get('action'))} {_e(p.get('subject') or o.get('subject'))}"
            f"<br><span class='dim'>{_e(p.get('rationale'))}</span></td>"
            f"<td class='n'>{_e(shown)}</td>"
            f"<td>{votes}</td><td>{_e(o.get('outcome') or 'pending')}</td></tr>"
        )
    return (
        "<table><tr><th>proposed</th><th>by</th><th>action</th><th class='n'>monthly impact</th>"
        f"<th>votes</th><th>outcome</th></tr>{''.join(rows)}</table>"
    )


def _tree(node: dict[str, Any]) -> str:
    figures = ", ".join(f"{k}={v}" for k, v in node["figures"].items())
    css = "target" if node["target"] else ("" if node["on_path"] else "dim")
    when = node["time"][:16].replace("T", " ")
    label = (
        f"<span class='{css}'>{_e(node['type'])} · {_e(when)} · {_e(node['agent'])}"
        f"{' · ' + _e(figures) if figures else ''}</span>"
    )
    children = "".join(_tree(c) for c in node["children"])
    if node["other_effects"]:
        children += f"<li class='dim'>… and {node['other_effects']} other events caused by this one</li>"
    return f"<li>{label}{'<ul>' + children + '</ul>' if children else ''}</li>"


def chains(items: list[Chain], state_dir: Path) -> str:
    if not items:
        return _empty("No event's causal chain crossed from one agent to another in this run.")
    parts = []
    for c in items:
        parts.append(
            f"<div id='chain-{_e(c.event_id)}'><h3>{_e(' → '.join(a.upper() for a in c.agents))}: "
            f"{_e(c.event_type)}</h3><p class='dim'>{_e(' → '.join(c.path))}</p>"
            f"<p><code>.venv/bin/msp-trace {_e(c.event_id)} --from embedded:{_e(state_dir)}</code> "
            f"<a href='#chain-{_e(c.event_id)}'>link</a></p>"
            f"<details><summary>trace tree</summary><ul>{_tree(c.tree['root'])}</ul></details></div>"
        )
    return "".join(parts)


def detection(scores: list[AgentScore]) -> str:
    def ratio(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    rows = "".join(
        f"<tr><td>{_e(s.agent.upper())}</td><td>{_e(s.problem)}</td><td class='n'>{s.planted}</td>"
        f"<td class='n'>{s.found}</td><td class='n'>{s.missed}</td><td class='n'>{s.false}</td>"
        f"<td class='n'>{ratio(s.precision)}</td><td class='n'>{ratio(s.recall)}</td>"
        f"<td class='dim'>{'<br>'.join(_e(n) for n in s.notes[:6])}</td></tr>"
        for s in scores
    )
    return (
        "<table><tr><th>agent</th><th>planted problem</th><th class='n'>planted</th><th class='n'>found</th>"
        "<th class='n'>missed</th><th class='n'>false</th><th class='n'>precision</th>"
        "<th class='n'>recall</th>"
        f"<th>notes</th></tr>{rows}</table>"
    )


def render(findings: Findings, scores: list[AgentScore], state_dir: Path, title: str, run_info: str) -> str:
    """The whole page."""
    bodies: dict[str, Callable[[], str]] = {
        "briefing": lambda: briefing(findings, run_info),
        "profitability": lambda: profitability(findings),
        "churn": lambda: churn(findings),
        "pipeline": lambda: pipeline(findings),
        "utilisation": lambda: utilisation(findings),
        "route": lambda: route(findings),
        "licences": lambda: licences(findings),
        "spend": lambda: spend(findings),
        "renewals": lambda: renewals(findings),
        "decisions": lambda: decisions(findings.decisions),
        "chains": lambda: chains(findings.chains, state_dir),
        "detection": lambda: detection(scores),
    }
    nav = "".join(f"<a href='#{key}'>{_e(name)}</a>" for key, name in SECTIONS.items())
    sections = "".join(
        f"<section id='{key}'><h2>{_e(SECTIONS[key])}</h2>{bodies[key]()}</section>" for key in SECTIONS
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(run_info)}</p></header><nav>{nav}</nav>"
        f"<main>{sections}</main></body></html>"
    )


def write(page: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
