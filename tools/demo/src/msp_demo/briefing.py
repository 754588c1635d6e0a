"""The executive briefing in the terminal: what to act on first (in money), the headline figures,
how much of what was planted each agent found, and what the runtime absorbed on the way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from msp_demo.figures import actions, key_figures
from msp_demo.findings import Findings
from msp_demo.run import AgentCounts, Hiccups
from msp_demo.scoring import AgentScore

SHOWN_ACTIONS = 8


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{currency} {value:,.2f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def headline(findings: Findings) -> Panel:
    k = key_figures(findings)
    c = findings.currency
    lines = [
        f"[bold]{k['clients']}[/bold] clients; in {k['last_judged_month']}: revenue "
        f"[bold]{_money(k['revenue_last_month'], c)}[/bold], gross margin "
        f"[bold]{k['gross_margin_pct_last_month']} %[/bold]",
        f"{k['clients_thin_or_critical']} clients on a thin or critical margin, "
        f"{k['clients_high_churn_risk']} at high churn risk",
        f"licences: {_money(k['licence_leakage_monthly'], c)} a month leaking, "
        f"{_money(k['licence_savings_monthly'], c)} a month to save",
        f"spend: {k['spend_anomalies_open']} anomalies open, {_money(k['spend_anomaly_impact'], c)} above "
        "expected in all",
        f"pipeline (weighted): {_money(k['pipeline_weighted_recurring_monthly'], c)} a month recurring, "
        f"{_money(k['pipeline_weighted_one_time'], c)} one-time",
        f"{k['renewals_due']} vendor contracts near their notice deadline; {k['decisions']} decisions; "
        f"{k['cross_agent_chains']} cross-agent chains",
    ]
    return Panel("\n".join(lines), title="Executive briefing", expand=False)


def action_table(findings: Findings) -> Table:
    table = Table(title="Act on these first (largest monthly amount first)")
    for column in ("#", "agent", "what", "a month", "why / how"):
        table.add_column(column, justify="right" if column in ("#", "a month") else "left")
    for n, a in enumerate(actions(findings)[:SHOWN_ACTIONS], start=1):
        table.add_row(str(n), a.agent.upper(), a.what, _money(a.monthly, findings.currency), a.detail)
    if not table.row_count:
        table.add_row("", "", "nothing open that is worth money", "", "")
    return table


def detection_table(scores: list[AgentScore]) -> Table:
    table = Table(title="Planted problems: found, missed, flagged falsely (against the simulator's truth)")
    for column in ("agent", "planted problem", "planted", "found", "missed", "false", "precision", "recall"):
        table.add_column(column, justify="left" if column in ("agent", "planted problem") else "right")
    for s in scores:
        table.add_row(
            s.agent.upper(),
            s.problem,
            str(s.planted),
            str(s.found),
            str(s.missed),
            str(s.false),
            _ratio(s.precision),
            _ratio(s.recall),
        )
    return table


def runtime_table(counts: dict[str, AgentCounts], hiccups: Hiccups | None) -> Table:
    table = Table(title="What each agent's runtime did")
    for column in ("agent", "consumed", "duplicates dropped", "dead-lettered", "published"):
        table.add_column(column, justify="left" if column == "agent" else "right")
    for name, c in counts.items():
        table.add_row(
            name.upper(),
            f"{sum(c.consumed.values()):,}",
            f"{c.duplicates:,}",
            ", ".join(f"{r} x{n}" for r, n in c.dead_lettered.items()) or "0",
            f"{sum(c.published.values()):,}",
        )
    return table


def hiccup_lines(hiccups: Hiccups | None) -> list[str]:
    if hiccups is None:
        return []
    dropped = {a: n for a in hiccups.after if (n := hiccups.duplicates_dropped(a))}
    dead = {a: d for a in hiccups.after if (d := hiccups.dead_letters(a))}
    return [
        f"a {hiccups.duplicate_type} delivered twice: the copy dropped by the inbox of "
        + (", ".join(f"{a.upper()}" for a in dropped) or "no agent (!)"),
        f"an older version of client {hiccups.late_client} arriving late: newest wins, nothing changed",
        f"a malformed message on {hiccups.malformed_topic}: dead-lettered by "
        + (", ".join(f"{a.upper()} ({', '.join(d)})" for a, d in dead.items()) or "no agent (!)")
        + f" on dlt.<agent>.{hiccups.malformed_topic}",
    ]


def show(
    console: Console,
    findings: Findings,
    scores: list[AgentScore],
    counts: dict[str, AgentCounts],
    hiccups: Hiccups | None,
    out_dir: Path,
    state_dir: Path,
) -> None:
    console.print(headline(findings))
    console.print(action_table(findings))
    console.print(detection_table(scores))
    console.print(runtime_table(counts, hiccups))
    for line in hiccup_lines(hiccups):
        console.print(f"  • {line}")
    console.print(f"\nReport: {out_dir / 'report.html'}   summary: {out_dir / 'summary.json'}")
    if findings.chains:
        console.print(
            "A cross-agent chain: "
            f"`.venv/bin/msp-trace {findings.chains[0].event_id} --from embedded:{state_dir}`"
        )
