"""Loading and saving CPI's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from sqlmodel import Session, select

from cpi.domain.clients import ClientVersion
from cpi.store.tables import Client


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> ClientVersion | None:
        row = self.session.get(Client, client_id)
        return None if row is None else _to_domain(row)

    def save(self, client: ClientVersion) -> None:
        row = self.session.get(Client, client.client_id) or Client(
            client_id=client.client_id, name="", status="", as_of=client.as_of, digest=client.digest
        )
        row.name, row.status, row.tier = client.name, client.status, client.tier
        row.currency, row.as_of, row.digest = client.currency, client.as_of, client.digest
        self.session.add(row)

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[ClientVersion]:
        query = select(Client).order_by(Client.name, Client.client_id).offset(offset).limit(limit)
        if status is not None:
            query = query.where(Client.status == status)
        return [_to_domain(row) for row in self.session.exec(query)]


def _to_domain(row: Client) -> ClientVersion:
    return ClientVersion(
        client_id=row.client_id,
        name=row.name,
        status=row.status,
        tier=row.tier,
        currency=row.currency,
        as_of=row.as_of,
        digest=row.digest,
    )
