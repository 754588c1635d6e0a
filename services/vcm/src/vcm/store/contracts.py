"""Loading and saving contracts, their audit trails, reminders, renewal cases and the search index."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from vcm.store.tables import ContractApproval, ContractCorrection, ContractRow, RenewalCase, RenewalReminder


class ContractRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, contract_id: str) -> ContractRow | None:
        return self.session.get(ContractRow, contract_id)

    def save(self, row: ContractRow) -> None:
        self.session.add(row)

    def page(
        self,
        *,
        vendor_name: str | None = None,
        expiring_by: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ContractRow]:
        query = select(ContractRow).order_by(col(ContractRow.contract_id)).offset(offset).limit(limit)
        if vendor_name is not None:
            query = query.where(ContractRow.vendor_name == vendor_name)
        if expiring_by is not None:
            query = query.where(col(ContractRow.expiration_date).is_not(None))
        return list(self.session.exec(query))

    def with_notice(self) -> list[ContractRow]:
        """Contracts that can have a notice deadline, in id order (reminders are emitted in it)."""
        query = (
            select(ContractRow)
            .where(col(ContractRow.notice_value).is_not(None))
            .where(col(ContractRow.expiration_date).is_not(None))
            .where(col(ContractRow.state).not_in(("rejected", "terminated")))
            .order_by(col(ContractRow.contract_id))
        )
        return list(self.session.exec(query))

    def for_vendor(self, vendor_name: str) -> list[ContractRow]:
        query = (
            select(ContractRow)
            .where(ContractRow.vendor_name == vendor_name)
            .order_by(col(ContractRow.contract_id))
        )
        return list(self.session.exec(query))

    # -- audit trails ---------------------------------------------------------------------------
    def add_correction(
        self,
        contract_id: str,
        field_name: str,
        old: Any,
        new: Any,
        *,
        confirmed: bool,
        by: str,
        comment: str | None,
        at: datetime,
    ) -> None:
        self.session.add(
            ContractCorrection(
                contract_id=contract_id,
                field_name=field_name,
                old_json=json.dumps(old, sort_keys=True),
                new_json=json.dumps(new, sort_keys=True),
                confirmed=confirmed,
                corrected_by=by,
                comment=comment,
                at=at,
            )
        )

    def corrections(self, contract_id: str) -> list[ContractCorrection]:
        query = (
            select(ContractCorrection)
            .where(ContractCorrection.contract_id == contract_id)
            .order_by(col(ContractCorrection.id))
        )
        return list(self.session.exec(query))

    def add_approval(self, row: ContractApproval) -> None:
        self.session.add(row)

    def approvals(self, contract_id: str) -> list[ContractApproval]:
        query = (
            select(ContractApproval)
            .where(ContractApproval.contract_id == contract_id)
            .order_by(col(ContractApproval.id))
        )
        return list(self.session.exec(query))

    # -- reminders and cases --------------------------------------------------------------------
    def reminded(self, contract_id: str, deadline: date) -> frozenset[int]:
        query = select(RenewalReminder.offset_days).where(
            RenewalReminder.contract_id == contract_id, RenewalReminder.notice_deadline == deadline
        )
        return frozenset(self.session.exec(query))

    def add_reminder(self, row: RenewalReminder) -> None:
        self.session.add(row)

    def case(self, contract_id: str, deadline: date) -> RenewalCase | None:
        return self.session.get(RenewalCase, (contract_id, deadline))

    def add_case(self, row: RenewalCase) -> None:
        self.session.add(row)

    def close_cases(self, contract_id: str) -> None:
        """A terminated contract has no renewal to decide: its open cases are closed."""
        query = select(RenewalCase).where(
            RenewalCase.contract_id == contract_id, RenewalCase.status == "open"
        )
        for case in self.session.exec(query):
            case.status = "closed"
            self.session.add(case)

    def cases(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[RenewalCase]:
        query = (
            select(RenewalCase)
            .order_by(col(RenewalCase.notice_deadline), col(RenewalCase.contract_id))
            .offset(offset)
            .limit(limit)
        )
        if status is not None:
            query = query.where(RenewalCase.status == status)
        return list(self.session.exec(query))

    # -- full-text search -----------------------------------------------------------------------
    def index_text(self, contract_id: str, body: str) -> None:
        """Index a new contract's text (once: the text a contract was read from never changes;
        an amendment changes terms, not the indexed text): PostgreSQL tsvector, or SQLite FTS5.
        No delete first: on FTS5 a lookup by an unindexed column scans the whole index."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        value = "to_tsvector('english', :b)" if postgres else ":b"
        self.session.execute(
            text(f"INSERT INTO contract_search (contract_id, body) VALUES (:c, {value})"),
            {"c": contract_id, "b": body},
        )

    def search(self, query: str, limit: int = 50) -> list[str]:
        """Contract ids whose text matches every word of ``query``, best match first."""
        words = [w for w in "".join(ch if ch.isalnum() else " " for ch in query).split() if w]
        if not words:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            sql = (
                "SELECT contract_id FROM contract_search, plainto_tsquery('english', :q) q "
                "WHERE body @@ q ORDER BY ts_rank(body, q) DESC, contract_id LIMIT :n"
            )
            params: dict[str, Any] = {"q": " ".join(words), "n": limit}
        else:
            sql = (
                "SELECT contract_id FROM contract_search WHERE contract_search MATCH :q "
                "ORDER BY rank, contract_id LIMIT :n"
            )
            params = {"q": " ".join(f'"{w}"' for w in words), "n": limit}
        return [row[0] for row in self.session.execute(text(sql), params)]
