"""Win scores, their history, the trained models and the client signals they read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from spo.domain.winprob import ClientSignals
from spo.store.tables import ClientFact, ClientSignal, Opportunity, OpportunityScore, WinModelRow


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
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str | None) -> ClientSignals | None:
        if client_id is None:
            return None
        row = self.session.get(ClientSignal, client_id)
        client = self.session.get(ClientFact, client_id)
        if row is None and client is None:
            return None
        return _signals(row, client)

    def all(self) -> dict[str, ClientSignals]:
        rows = {r.client_id: r for r in self.session.exec(select(ClientSignal))}
        clients = {c.client_id: c for c in self.session.exec(select(ClientFact))}
        return {k: _signals(rows.get(k), clients.get(k)) for k in sorted(set(rows) | set(clients))}

    def margin(self, client_id: str, period: str, pct: Decimal, band: str) -> None:
        row = self.session.get(ClientSignal, client_id) or ClientSignal(client_id=client_id)
        if row.margin_period is not None and row.margin_period > period:
            return  # a late report of an older month does not replace the newer one
        row.margin_pct, row.margin_band, row.margin_period = pct, band, period
        self.session.add(row)

    def churn(self, client_id: str, as_of: date, probability: Decimal) -> None:
        row = self.session.get(ClientSignal, client_id) or ClientSignal(client_id=client_id)
        if row.churn_as_of is not None and row.churn_as_of > as_of:
            return
        row.churn_probability, row.churn_as_of = probability, as_of
        self.session.add(row)


def _signals(row: ClientSignal | None, client: ClientFact | None) -> ClientSignals:
    return ClientSignals(
        margin_pct=None if row is None else row.margin_pct,
        margin_band=None if row is None else row.margin_band,
        churn_probability=None if row is None else row.churn_probability,
        industry=None if client is None else client.industry,
        employees=None if client is None else client.employee_count,
    )
