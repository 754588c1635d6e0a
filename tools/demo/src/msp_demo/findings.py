"""What the agents know after the run: their HTTP APIs (in process, as a person's browser would ask
them), a few rows of their stores where no API lists them, and the event log.

Everything here is data the agents produced, as JSON-able values (money stays a decimal string, as
the APIs answer it); nothing reads the wall clock. The report, the briefing and the summary only
present it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from msp_events import agents, eventlog
from msp_events.envelope import Envelope
from msp_events.runtime.auth import AuthSettings
from msp_events.runtime.settings import ServiceSettings

from msp_replay.trace import trace

DECISION_TYPES = ("decision.proposed", "decision.vote.cast", "decision.reached")
MAX_CHAINS = 12
"""Cross-agent chains shown: the longest of each distinct path of event types, longest first."""


@dataclass
class Decision:
    decision_id: str
    proposal: dict[str, Any] | None = None
    votes: list[dict[str, Any]] = field(default_factory=list)
    """Each vote's data with the event id and time."""
    outcome: dict[str, Any] | None = None


@dataclass
class Chain:
    event_id: str
    event_type: str
    agents: list[str]
    """The agents along the path from the fact to the event, in order, each once."""
    path: list[str]
    """Event types from the fact to the event."""
    tree: dict[str, Any]
    """``msp_replay.trace.Trace.as_dict()``."""


@dataclass
class Findings:
    currency: str
    months: list[str]
    """The run's months (YYYY-MM), from the truth's run dates."""
    clients: list[dict[str, Any]]
    margins: dict[str, list[dict[str, Any]]]
    """client_id -> CPI's monthly ledger (``/clients/{id}/profitability`` months)."""
    pipeline: dict[str, Any]
    utilisation: dict[str, list[dict[str, Any]]]
    """YYYY-MM -> RAM's ``/technicians/utilization`` rows for that month."""
    route: dict[str, Any] | None
    """RAM's busiest day's plan with coordinates: ``plan``, ``visits`` {id: [lat, lon, client]},
    ``homes`` {technician: [lat, lon]}."""
    licences: list[dict[str, Any]]
    savings: dict[str, Any]
    budgets: dict[str, list[dict[str, Any]]]
    """department -> DSA's monthly budget against actual."""
    anomalies: list[dict[str, Any]]
    contracts: list[dict[str, Any]]
    renewals_due: list[dict[str, Any]]
    """``contract.renewal.due`` events VCM published (data with the event time)."""
    event_counts: dict[str, int]
    agent_events: dict[str, list[dict[str, Any]]]
    """Agent-published events by type: data with ``_id`` and ``_time``."""
    decisions: list[Decision]
    chains: list[Chain]


# -- the agents' APIs ------------------------------------------------------------------------------------


Stores = Mapping[str, str]
"""Agent name -> its database URL: the SQLite files of the embedded run, or the PostgreSQL databases
of the agents' processes on Kafka. The findings read the same way from either."""


def sqlite_stores(state_dir: Path) -> dict[str, str]:
    """The embedded run's stores: one SQLite file per agent in the state folder."""
    return {name: f"sqlite:///{state_dir}/{name}.db" for name in agents.installed()}


def api_client(name: str, database_url: str) -> httpx.AsyncClient:
    """An in-process client of one agent's API on its store, authentication off (the demo reads its
    own agents on one machine; the runtime warns about it)."""
    module = agents.installed()[name].app()
    settings_cls: type[ServiceSettings] = module.Settings
    settings = settings_cls(MSP_TRANSPORT="inprocess", DATABASE_URL=database_url)
    app = module.create_app(settings.model_copy(update={"auth": AuthSettings(mode="off")}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None) -> Any:
    response = await client.get(path, params=params)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def months_between(start: date, end: date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


async def read_apis(stores: Stores, months: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with api_client("cpi", stores["cpi"]) as cpi:
        out["clients"] = await _get(cpi, "/clients") or []
        out["margins"] = {}
        for client in out["clients"]:
            series = await _get(cpi, f"/clients/{client['client_id']}/profitability")
            out["margins"][client["client_id"]] = series["months"] if series else []
    async with api_client("spo", stores["spo"]) as spo:
        out["pipeline"] = await _get(spo, "/pipeline/forecast") or {}
    async with api_client("ram", stores["ram"]) as ram:
        out["utilisation"] = {}
        for month in months:
            first, last = _month_bounds(month)
            answer = await _get(ram, "/technicians/utilization", {"from": first, "to": last})
            out["utilisation"][month] = answer or []
        busiest = busiest_plan_day(stores["ram"])
        plan = await _get(ram, f"/plans/{busiest}") if busiest else None
        out["route"] = _with_coordinates(plan, stores["ram"]) if plan else None
    async with api_client("sli", stores["sli"]) as sli:
        out["licences"] = await _get(sli, "/findings") or []
        out["savings"] = await _get(sli, "/savings") or {}
    async with api_client("dsa", stores["dsa"]) as dsa:
        budgets = await _get(dsa, "/budgets") or []
        out["budgets"] = {}
        years = sorted({int(m[:4]) for m in months})
        for department in sorted({b["department"] for b in budgets}):
            rows: list[dict[str, Any]] = []
            for year in years:
                budget = await _get(dsa, f"/departments/{department}/budget", {"year": year})
                rows += [r for r in (budget or {}).get("months", []) if r["category"] is None]
            out["budgets"][department] = rows
        out["anomalies"] = await _get(dsa, "/anomalies") or []
    async with api_client("vcm", stores["vcm"]) as vcm:
        out["contracts"] = await _get(vcm, "/contracts") or []
    return out


def _rows(database_url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def busiest_plan_day(ram_store: str) -> str | None:
    """The day RAM planned the most on-site stops (ties: the earliest); no API lists plan days."""
    best: tuple[int, str] | None = None
    for day, body in _rows(ram_store, "SELECT plan_date, body FROM route_plans ORDER BY plan_date"):
        routes = (json.loads(body) if isinstance(body, str) else body).get("routes", [])
        stops = sum(len(r.get("stops", [])) for r in routes)
        if best is None or stops > best[0]:
            best = (stops, str(day))
    return best[1] if best else None


def _with_coordinates(plan: dict[str, Any], ram_store: str) -> dict[str, Any]:
    visit_rows = _rows(ram_store, "SELECT visit_id, latitude, longitude, client_id FROM visits")
    home_rows = _rows(ram_store, "SELECT technician_id, home_latitude, home_longitude FROM technicians")
    visits = {v: [float(lat), float(lon), client] for v, lat, lon, client in visit_rows}
    homes = {t: [float(lat), float(lon)] for t, lat, lon in home_rows if lat is not None and lon is not None}
    wanted = {s["visit_id"] for r in plan["routes"] for s in r["stops"]} | {
        d["visit_id"] for d in plan["dropped"]
    }
    return {
        "plan": plan,
        "visits": {v: visits[v] for v in sorted(wanted) if v in visits},
        "homes": {
            r["technician_id"]: homes[r["technician_id"]]
            for r in plan["routes"]
            if r["technician_id"] in homes
        },
    }


# -- the event log ---------------------------------------------------------------------------------------


def _is_agent(source: str) -> bool:
    return source.startswith("msp.")


def read_event_log(path: Path) -> tuple[dict[str, int], dict[str, list[dict[str, Any]]], list[Envelope[Any]]]:
    """(counts per type, agent events as data by type, the envelopes a trace of agent events needs).

    Facts are only counted unless an agent event names them as its cause: a simulated year is ~90k
    facts, and only the roots of chains are needed to draw them."""
    counts: Counter[str] = Counter()
    agent_envelopes: list[Envelope[Any]] = []
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            head = json.loads(raw)
            counts[head["type"]] += 1
            if _is_agent(head.get("source", "")):
                agent_envelopes.append(eventlog.loads(raw, path=str(path), number=number))
    known = {e.id for e in agent_envelopes}
    causes = {e.causationid for e in agent_envelopes if e.causationid and e.causationid not in known}
    roots: list[Envelope[Any]] = []
    if causes:
        with path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                head = json.loads(raw)
                if head["id"] in causes:
                    roots.append(eventlog.loads(raw, path=str(path), number=number))
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for envelope in agent_envelopes:
        row = envelope.data.model_dump(mode="json")
        row["_id"], row["_time"] = envelope.id, envelope.time.isoformat()
        by_type[envelope.type].append(row)
    return dict(sorted(counts.items())), dict(by_type), roots + agent_envelopes


def decisions_of(agent_events: dict[str, list[dict[str, Any]]]) -> list[Decision]:
    """Every decision in the log with its proposal, votes and outcome (each part may be missing:
    a log can start after a proposal or end before the outcome)."""
    out: dict[str, Decision] = {}

    def get(decision_id: str) -> Decision:
        return out.setdefault(decision_id, Decision(decision_id))

    for row in agent_events.get("decision.proposed", []):
        get(row["decision_id"]).proposal = row
    for row in agent_events.get("decision.vote.cast", []):
        get(row["decision_id"]).votes.append(row)
    for row in agent_events.get("decision.reached", []):
        get(row["decision_id"]).outcome = row
    for decision in out.values():
        decision.votes.sort(key=lambda v: (v["_time"], v["voter"]))
    return [out[k] for k in sorted(out, key=lambda k: (_decision_time(out[k]), k))]


def _decision_time(decision: Decision) -> str:
    for part in (decision.proposal, decision.outcome, *decision.votes):
        if part is not None:
            return str(part["_time"])
    return ""


def cross_agent_chains(envelopes: list[Envelope[Any]], limit: int = MAX_CHAINS) -> list[Chain]:
    """Agent events whose causal path passes through more than one agent: one per distinct path of
    event types (its latest example), longest first."""
    by_id = {e.id: e for e in envelopes}
    best: dict[tuple[str, ...], Envelope[Any]] = {}
    paths: dict[str, list[Envelope[Any]]] = {}
    for envelope in envelopes:
        if not _is_agent(envelope.source):
            continue
        path = [envelope]
        seen = {envelope.id}
        while (cause := path[-1].causationid) and cause in by_id and cause not in seen:
            seen.add(cause)
            path.append(by_id[cause])
        path.reverse()
        owners = [e.source.removeprefix("msp.") for e in path if _is_agent(e.source)]
        if len(set(owners)) < 2:
            continue
        key = tuple(e.type for e in path)
        current = best.get(key)
        if current is None or (envelope.time, envelope.id) > (current.time, current.id):
            best[key] = envelope
            paths[envelope.id] = path
    chosen = sorted(best.items(), key=lambda kv: (-len(kv[0]), kv[0]))[:limit]
    chains = []
    for key, envelope in chosen:
        path = paths[envelope.id]
        owners = list(dict.fromkeys(e.source.removeprefix("msp.") for e in path if _is_agent(e.source)))
        tree = trace(envelopes, envelope.id).as_dict()
        chains.append(Chain(envelope.id, envelope.type, owners, list(key), tree))
    return chains


def collect(stores: Stores, event_log: Path, months: list[str], currency: str) -> Findings:
    """Everything the briefing, report and summary show, from the agents' stores and the log."""
    apis = asyncio.run(read_apis(stores, months))
    counts, agent_events, envelopes = read_event_log(event_log)
    renewals = agent_events.get("contract.renewal.due", [])
    return Findings(
        currency=currency,
        months=months,
        clients=apis["clients"],
        margins=apis["margins"],
        pipeline=apis["pipeline"],
        utilisation=apis["utilisation"],
        route=apis["route"],
        licences=apis["licences"],
        savings=apis["savings"],
        budgets=apis["budgets"],
        anomalies=apis["anomalies"],
        contracts=apis["contracts"],
        renewals_due=renewals,
        event_counts=counts,
        agent_events=agent_events,
        decisions=decisions_of(agent_events),
        chains=cross_agent_chains(envelopes),
    )
