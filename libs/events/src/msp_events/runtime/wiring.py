"""Choosing the transport from settings (the one decision a service's app.py delegates here)."""

from __future__ import annotations

from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.transport import Transport

_PROCESS_BUS: InProcessBus | None = None


def process_bus() -> InProcessBus:
    """The in-process broker shared by every service started in this process."""
    global _PROCESS_BUS
    if _PROCESS_BUS is None:
        _PROCESS_BUS = InProcessBus()
    return _PROCESS_BUS


def transport_for(settings: ServiceSettings) -> Transport:
    if settings.transport == "inprocess":
        return process_bus()
    return KafkaTransport(settings.kafka, client_id=settings.service_name)
