"""VCM's event handlers: translate an event into a use-case call, nothing more.

``build_router(policy)`` is called by ``app.py`` (the reminder offsets come from the settings).
"""

from __future__ import annotations

import base64

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import LicenseComplianceViolation, SpendAnomalyDetected, SpendVendorAnalyzed
from msp_events.types.contracts import ContractDocumentReceived
from msp_events.types.licensing import SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted

from vcm import client_agreements, deciding, services, vendor_signals
from vcm.services import Policy


def build_router(policy: Policy) -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ContractDocumentReceived)
    def on_contract_document_received(uow: UnitOfWork, event: Envelope[ContractDocumentReceived]) -> None:
        d = event.data
        # The payload guarantees exactly one of the two (and valid base64).
        content = (
            base64.b64decode(d.content_base64) if d.content_base64 is not None else (d.text or "").encode()
        )
        services.record_document(uow, services.receipt(content, d), content)

    @router.handles(ClockTicked)
    def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        services.on_clock(uow, policy)
        deciding.CONSENSUS.close_due(uow)

    @router.handles(SpendAnomalyDetected)
    def on_spend_anomaly(uow: UnitOfWork, event: Envelope[SpendAnomalyDetected]) -> None:
        vendor_signals.record_anomaly(uow, event.data)

    @router.handles(LicenseComplianceViolation)
    def on_licence_finding(uow: UnitOfWork, event: Envelope[LicenseComplianceViolation]) -> None:
        vendor_signals.record_finding(uow, event.data)

    @router.handles(SubscriptionUpserted)
    def on_subscription(uow: UnitOfWork, event: Envelope[SubscriptionUpserted]) -> None:
        vendor_signals.record_subscription(uow, event.data)

    @router.handles(SpendVendorAnalyzed)
    def on_renewal_spend(uow: UnitOfWork, event: Envelope[SpendVendorAnalyzed]) -> None:
        vendor_signals.record_renewal_spend(uow, event.data)

    @router.handles(AgreementUpserted)
    def on_client_agreement(uow: UnitOfWork, event: Envelope[AgreementUpserted]) -> None:
        client_agreements.record_agreement(uow, event.data)

    deciding.CONSENSUS.wire(router)
    return router


router = build_router(Policy())
