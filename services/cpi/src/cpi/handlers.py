"""CPI's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.psa import ClientUpserted

from cpi import services
from cpi.domain.clients import ClientVersion

router = HandlerRouter()


@router.handles(ClientUpserted)
def on_client_upserted(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
    c = event.data
    services.record_client(
        uow,
        ClientVersion(
            client_id=c.client_id,
            name=c.name,
            status=c.status,
            tier=c.tier,
            currency=c.currency,
            as_of=c.updated_at or event.time,
            digest=c.digest(),
        ),
    )
