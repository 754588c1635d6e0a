"""Typed events of the MSP agent ecosystem.

Every event type is declared once (``msp_events.types``) and registered with its
owner, version, partition key and consumers; topics, schemas, the catalog and
AsyncAPI are derived from that registry.
"""

from msp_events.envelope import Envelope
from msp_events.money import CurrencyCode, Money
from msp_events.registry import REGISTRY, EventData, EventSpec, event

__all__ = ["REGISTRY", "CurrencyCode", "Envelope", "EventData", "EventSpec", "Money", "event"]
from msp_events import types as _types  # noqa: F401  (registers every event type)
