"""CPI's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from msp_events.runtime.uow import UnitOfWork

from cpi.domain.clients import ClientVersion, supersedes
from cpi.store.repository import ClientRepository


def record_client(uow: UnitOfWork, client: ClientVersion) -> bool:
    """Keep the client's latest master data; returns False for a stale (older) version."""
    clients = ClientRepository(uow.session)
    if not supersedes(client, clients.get(client.client_id)):
        return False
    clients.save(client)
    return True
