"""Win scores, their history, the trained models and the client signals they read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

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
    def __init__(self, session: Session) -> None:
        self.session = session
        # history rows read ahead by ``load`` (None: known absent), so recording a batch's scores
        # costs two reads instead of two per deal
        self._history: dict[tuple[str, datetime], OpportunityScore | None] = {}
        # and the opportunities, held here: the session's identity map keeps clean rows weakly
        self._rows: dict[str, Opportunity] = {}

    def load(self, keys: list[tuple[str, datetime]]) -> None:
        """Read the opportunities and score history rows that ``record`` will touch, in two queries."""
        ids = sorted({k for k, _ in keys})
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            query = select(Opportunity).where(col(Opportunity.opportunity_id).in_(part))
            self._rows.update((r.opportunity_id, r) for r in self.session.exec(query))
            found = {
                (r.opportunity_id, r.scored_at): r
                for r in self.session.exec(
                    select(OpportunityScore).where(col(OpportunityScore.opportunity_id).in_(part))
                )
            }
            for key in keys:
                if key[0] in part:
                    self._history[key] = found.get(key)

    def current(self, opportunity_id: str) -> Opportunity | None:
        return self.session.get(Opportunity, opportunity_id)

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
        """Keep the score on the opportunity; a changed score also goes into its history."""
        row = self._rows.get(opportunity_id) or self.session.get(Opportunity, opportunity_id)
        if row is None:
            return False
        if row.win_probability == probability and row.win_method == method and row.win_why == why:
            return False
        row.win_probability, row.win_method, row.win_why = probability, method, why
        row.win_reasons, row.scored_at = reasons, at
        self.session.add(row)
        key = (opportunity_id, at)
        existing = self._history[key] if key in self._history else self.session.get(OpportunityScore, key)
        history = existing or OpportunityScore(
            opportunity_id=opportunity_id, scored_at=at, probability=probability, method=method, why=why
        )
        history.probability, history.method, history.why = probability, method, why
        history.model_version = model_version
        self.session.add(history)
        self._history[key] = history
        return True

    def history(self, opportunity_id: str) -> list[OpportunityScore]:
        query = (
            select(OpportunityScore)
            .where(OpportunityScore.opportunity_id == opportunity_id)
            .order_by(col(OpportunityScore.scored_at))
        )
        return list(self.session.exec(query))


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
