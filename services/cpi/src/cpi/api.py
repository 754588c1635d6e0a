"""CPI's REST API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from cpi.store.repository import ClientRepository

router = APIRouter(tags=["clients"])


class ClientOut(BaseModel):
    client_id: str
    name: str
    status: str
    tier: str | None
    currency: str | None


@router.get("/clients", response_model=list[ClientOut], summary="Clients CPI knows, by name")
def list_clients(
    request: Request,
    status: Annotated[Literal["prospect", "active", "inactive", "churned"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ClientOut]:
    with Session(request.app.state.service.engine) as session:
        clients = ClientRepository(session).list(status=status, limit=limit, offset=offset)
    return [
        ClientOut(client_id=c.client_id, name=c.name, status=c.status, tier=c.tier, currency=c.currency)
        for c in clients
    ]
