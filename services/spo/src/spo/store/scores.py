"""Win scores, their history, the trained models and the client signals they read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from msp_events.runtime.store import insert_for

from spo.domain.signals import ChurnReading, MarginReading, SignalHistory
from spo.store.tables import (
    ClientFact,
    ClientSignal,
    ClientSignalReading,
    Opportunity,
    OpportunityScore,
    WinModelRow,
)


class ScoreRepository:
    """The current score of each opportunity (its ``win_*`` columns) and the history of changes.

    Set-wise: ``load`` reads the current scores of a batch's deals with one query, ``record``
    compares and collects in memory, and ``write`` stores what changed with one UPDATE (many rows)
    and one upsert of history rows, instead of an ORM object, a read and a write per deal.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._current: dict[str, tuple[Decimal | None, str | None, str | None] | None] = {}
        self._updates: dict[str, dict[str, Any]] = {}
        self._history: dict[tuple[str, datetime], dict[str, Any]] = {}

    def load(self, opportunity_ids: Iterable[str]) -> None:
        """Read the current scores of these opportunities (one query per 500); absent: None."""
        ids = sorted(set(opportunity_ids) - set(self._current))
        t = OPPORTUNITIES
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self._current.update(dict.fromkeys(part))
            query = select(t.c.opportunity_id, t.c.win_probability, t.c.win_method, t.c.win_why).where(
                t.c.opportunity_id.in_(part)
            )
            for opportunity_id, probability, method, why in self.session.execute(query):
                self._current[opportunity_id] = (probability, method, why)

    def record(
        self,
        opportunity_id: str,
        at: datetime,
        probability: Decimal,
        method: str,
        model_version: int | None,
        why: str,
        reasons: str,
    ) -> bool:
        """Keep the score on the opportunity; a changed score also goes into its history (``write``
        stores both)."""
        if opportunity_id not in self._current:
            self.load([opportunity_id])
        current = self._current[opportunity_id]
        if current is None:
            return False  # not a stored opportunity
        if current == (probability, method, why):
            return False
        self._current[opportunity_id] = (probability, method, why)
        self._updates[opportunity_id] = {
            "key": opportunity_id,
            "win_probability": probability,
            "win_method": method,
            "win_why": why,
            "win_reasons": reasons,
            "scored_at": at,
        }
        self._history[(opportunity_id, at)] = {
            "opportunity_id": opportunity_id,
            "scored_at": at,
            "probability": probability,
            "method": method,
            "model_version": model_version,
            "why": why,
        }
        return True

    def write(self) -> None:
        """Store the recorded scores: current ones in one UPDATE, history rows in one upsert."""
        if not self._updates:
            return
        t = OPPORTUNITIES
        update = (
            t.update()
            .where(t.c.opportunity_id == bindparam("key"))
            .values(
                {
                    c: bindparam(c)
                    for c in ("win_probability", "win_method", "win_why", "win_reasons", "scored_at")
                }
            )
        )
        self.session.connection().execute(update, list(self._updates.values()))
        insert = insert_for(self.session.get_bind().dialect.name, HISTORY)
        statement = insert.on_conflict_do_update(
            index_elements=["opportunity_id", "scored_at"],
            set_={c: insert.excluded[c] for c in ("probability", "method", "model_version", "why")},
        )
        self.session.connection().execute(statement, list(self._history.values()))
        self._updates, self._history = {}, {}

    def history(self, opportunity_id: str) -> list[OpportunityScore]:
        query = (
            select(OpportunityScore)
            .where(OpportunityScore.opportunity_id == opportunity_id)
            .order_by(col(OpportunityScore.scored_at))
        )
        return list(self.session.exec(query))


SCORE_COLUMNS = ("win_probability", "win_method", "win_why", "win_reasons", "scored_at")
OPPORTUNITIES: Table = Opportunity.__table__  # type: ignore[attr-defined]
HISTORY: Table = OpportunityScore.__table__  # type: ignore[attr-defined]


class ModelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def latest(self) -> WinModelRow | None:
        """The newest model; its JSON is loaded only when read (scorers cache the parsed model)."""
        query = (
            select(WinModelRow)
            .options(defer(WinModelRow.model_json))  # type: ignore[arg-type]
            .order_by(col(WinModelRow.version).desc())
            .limit(1)
        )
        return self.session.exec(query).first()

    def add(self, row: WinModelRow) -> WinModelRow:
        latest = self.latest()
        row.version = 1 if latest is None else latest.version + 1
        self.session.add(row)
        self.session.flush()
        return row


class SignalRepository:
    """CPI's readings of clients: the history the win model's features join as of a deal's time,
    and the latest churn risk SPO votes with (``client_signals``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def histories(self, client_ids: Iterable[str | None] | None = None) -> dict[str, SignalHistory]:
        """Every reading and the master data of these clients (all clients when None), in two
        queries; a client SPO knows nothing of is absent."""
        readings = select(ClientSignalReading).order_by(
            col(ClientSignalReading.client_id),
            col(ClientSignalReading.kind),
            col(ClientSignalReading.observed_at),
            col(ClientSignalReading.ref),
        )
        clients = select(ClientFact)
        if client_ids is not None:
            wanted = sorted({c for c in client_ids if c is not None})
            if not wanted:
                return {}
            readings = readings.where(col(ClientSignalReading.client_id).in_(wanted))
            clients = clients.where(col(ClientFact.client_id).in_(wanted))
        margins: dict[str, list[MarginReading]] = {}
        churn: dict[str, list[ChurnReading]] = {}
        for r in self.session.exec(readings):
            if r.kind == MARGIN:
                margins.setdefault(r.client_id, []).append(
                    MarginReading(r.observed_at, r.ref, r.value, r.band or "")
                )
            else:
                churn.setdefault(r.client_id, []).append(
                    ChurnReading(r.observed_at, date.fromisoformat(r.ref), r.value)
                )
        facts = {c.client_id: c for c in self.session.exec(clients)}
        return {
            k: SignalHistory(
                margins=tuple(margins.get(k, ())),
                churn=tuple(churn.get(k, ())),
                industry=facts[k].industry if k in facts else None,
                employees=facts[k].employee_count if k in facts else None,
            )
            for k in sorted(set(margins) | set(churn) | set(facts))
        }

    def margin(self, client_id: str, observed_at: datetime, period: str, pct: Decimal, band: str) -> None:
        self._reading(client_id, MARGIN, observed_at, period, pct, band)
        row = self.session.get(ClientSignal, client_id) or ClientSignal(client_id=client_id)
        if row.margin_period is not None and row.margin_period > period:
            return  # a late report of an older month does not replace the newer one
        row.margin_pct, row.margin_band, row.margin_period = pct, band, period
        self.session.add(row)

    def churn(self, client_id: str, observed_at: datetime, as_of: date, probability: Decimal) -> None:
        self._reading(client_id, CHURN, observed_at, as_of.isoformat(), probability, None)
        row = self.session.get(ClientSignal, client_id) or ClientSignal(client_id=client_id)
        if row.churn_as_of is not None and row.churn_as_of > as_of:
            return
        row.churn_probability, row.churn_as_of = probability, as_of
        self.session.add(row)

    def _reading(
        self, client_id: str, kind: str, observed_at: datetime, ref: str, value: Decimal, band: str | None
    ) -> None:
        """Keep the reading; two different ones with the same key keep the greater values, so the
        stored one does not depend on which arrived last."""
        key = (client_id, kind, observed_at, ref)
        row = self.session.get(ClientSignalReading, key)
        if row is not None and (row.value, row.band or "") >= (value, band or ""):
            return
        row = row or ClientSignalReading(
            client_id=client_id, kind=kind, observed_at=observed_at, ref=ref, value=value
        )
        row.value, row.band = value, band
        self.session.add(row)


MARGIN, CHURN = "margin", "churn"
