"""The registry: the one place where an event type lives.

A type is declared once with ``@event``; its topic, dead-letter topics, JSON
Schema snapshot, catalog entry, AsyncAPI channel and topic provisioning are all
derived from the ``EventSpec`` recorded here, so they can never disagree.
"""

from __future__ import annotations

import builtins
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict

from msp_events.agent_names import ServiceName

SERVICES: tuple[str, ...] = get_args(ServiceName)
"""The agents, in the order they are listed everywhere. Declared once, as ``ServiceName`` (so that
event payloads can name an agent with a checked type); each agent's package registers itself in the
``msp.agents`` entry-point group (``msp_events.agents``), and a test checks both lists agree."""

OWNERS = (*SERVICES, "source", "platform", "agents")
"""Who may publish a type: one agent; ``source`` for facts from the MSP's systems (PSA, billing,
CRM, RMM, finance, cloud), which enter through the importers and the simulator; ``platform`` for
the clock; ``agents`` for the consensus protocol, where any agent may propose and vote."""

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class EventData(BaseModel):
    """Base of every event payload.

    Frozen, because an event is a fact. Unknown fields are ignored so that a
    consumer built against minor version N still reads N+1 (additive changes
    only within a major version; the schema check enforces that).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    def digest(self) -> str:
        """SHA-256 of the payload's JSON: tells two versions of one fact apart (and equal ones together)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class EventSpec:
    """What the platform knows about one event type."""

    type: str
    model: builtins.type[EventData]
    owner: str
    major: int
    minor: int
    key: str
    consumers: tuple[str, ...]
    """Services with a handler for it: they get its dead-letter and redrive topics and subscribe."""
    description: str
    partitions: int = 3
    retention_days: int = 30
    subject: str = field(default="")
    planned: tuple[str, ...] = ()
    """Services the design gives it to whose handler is not built yet (the agents' own issues add
    them): shown in the catalog, but no dead-letter or redrive topics, no subscription."""
    fact_dates: tuple[str, ...] = ()
    """Payload fields that date the fact (``work_date``, ``invoice_date`` ...): the runtime refuses a
    message whose fact dates, or envelope time, fall outside the plausibility window around the
    service clock (``runtime/plausibility.py``). Only fields where a wrong date does damage; never
    dates that may rightly lie years ahead (contract ends, renewals) or back (a client's creation)."""

    @property
    def audience(self) -> tuple[str, ...]:
        """Everyone it is meant for: today's consumers, then the planned ones."""
        return (*self.consumers, *self.planned)

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def topic(self) -> str:
        """One topic per type; a breaking change (new major) gets a new topic."""
        return self.type if self.major == 1 else f"{self.type}.v{self.major}"

    @property
    def dataschema(self) -> str:
        return f"urn:msp:events:{self.type}:{self.version}"

    def dead_letter_topic(self, consumer: str) -> str:
        """Per-consumer, so that a redrive reaches only the consumer that failed."""
        return dead_letter_topic(consumer, self.topic)

    def redrive_topic(self, consumer: str) -> str:
        """Per-consumer input for redriven dead letters: only ``consumer`` subscribes to it."""
        return redrive_topic(consumer, self.topic)

    def key_of(self, data: EventData) -> str:
        value = getattr(data, self.key)
        return str(value)

    def subject_of(self, data: EventData) -> str:
        """CloudEvents subject: the entity the event is about, e.g. ``client/C-1001``."""
        prefix = self.subject or self.key.removesuffix("_id")
        return f"{prefix}/{self.key_of(data)}"


def dead_letter_topic(consumer: str, topic: str) -> str:
    return f"dlt.{consumer}.{topic}"


def redrive_topic(consumer: str, topic: str) -> str:
    """``redrive.<consumer>.<topic>``: where ``msp-replay redrive`` puts a dead letter back, so that
    only the consumer that failed reads it again (the input topic is shared by every consumer)."""
    return f"redrive.{consumer}.{topic}"


def input_topic(consumer: str, topic: str) -> str:
    """The input topic a record read by ``consumer`` belongs to: its redrive topic maps back."""
    prefix = f"redrive.{consumer}."
    return topic.removeprefix(prefix) if topic.startswith(prefix) else topic


class UnknownEventType(KeyError):
    """The registry has no such type: the message cannot be decoded."""


class Registry:
    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec] = {}
        self._by_model: dict[type[EventData], EventSpec] = {}

    def add(self, spec: EventSpec) -> None:
        if spec.type in self._by_type:
            raise ValueError(f"event type {spec.type!r} is declared twice")
        self._by_type[spec.type] = spec
        self._by_model[spec.model] = spec

    def get(self, type_name: str) -> EventSpec:
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownEventType(f"unknown event type {type_name!r}") from None

    def for_model(self, model: type[EventData]) -> EventSpec:
        return self._by_model[model]

    def by_topic(self, topic: str) -> EventSpec:
        for spec in self._by_type.values():
            if spec.topic == topic:
                return spec
        raise UnknownEventType(f"no event type is published on topic {topic!r}")

    def consumed_by(self, service: str) -> list[EventSpec]:
        return [s for s in self if service in s.consumers]

    def owned_by(self, service: str) -> list[EventSpec]:
        return [s for s in self if s.owner == service]

    def topics(self) -> list[str]:
        """Every topic the platform needs: event topics and each consumer's dead-letter and redrive
        topic."""
        return list(self.partitions_by_topic())

    def partitions_by_topic(self) -> dict[str, int]:
        """The topics of ``topics()`` with their partitions (a dead-letter or redrive topic has its
        input topic's), as ``msp-events topics apply`` and the replay tools create them."""
        out: dict[str, int] = {}
        for spec in self:
            out[spec.topic] = spec.partitions
            for consumer in spec.consumers:
                out[spec.dead_letter_topic(consumer)] = spec.partitions
                out[spec.redrive_topic(consumer)] = spec.partitions
        return out

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(sorted(self._by_type.values(), key=lambda s: s.type))

    def __len__(self) -> int:
        return len(self._by_type)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._by_type


REGISTRY = Registry()

M = TypeVar("M", bound=type[EventData])


def event(
    type_name: str,
    *,
    owner: str,
    key: str,
    consumers: tuple[str, ...] = (),
    planned: tuple[str, ...] = (),
    major: int = 1,
    minor: int = 0,
    partitions: int = 3,
    retention_days: int = 30,
    subject: str = "",
    fact_dates: tuple[str, ...] = (),
) -> Callable[[M], M]:
    """Declare an event type and register it.

    ``owner`` is the only service allowed to publish it (an agent, or ``source`` for facts from
    PSA/billing/CRM/RMM/finance systems, or ``platform`` for the clock). ``key`` names the payload
    field used as the Kafka key, so events about one entity stay in order. ``consumers`` are the
    services that handle it (a test holds them to their handlers), ``planned`` the ones meant to.
    ``fact_dates`` names the ``date``/``datetime`` fields that date the fact, checked against the
    plausibility window.
    """
    if not _TYPE_NAME.match(type_name):
        raise ValueError(f"event type {type_name!r} must be dotted lowercase words")
    if owner not in OWNERS:
        raise ValueError(f"{type_name}: owner {owner!r} is not one of {OWNERS}")
    unknown = (set(consumers) | set(planned)) - set(SERVICES)
    if unknown:
        raise ValueError(f"{type_name}: unknown consumers {sorted(unknown)}")
    if both := set(consumers) & set(planned):
        raise ValueError(f"{type_name}: {sorted(both)} cannot be both a consumer and planned")

    def register(model: M) -> M:
        if key not in model.__pydantic_fields__:
            raise ValueError(f"{type_name}: partition key {key!r} is not a field of {model.__name__}")
        for name in fact_dates:
            info = model.__pydantic_fields__.get(name)
            if info is None or not _is_dated(info.annotation):
                raise ValueError(
                    f"{type_name}: fact date {name!r} is not a date or datetime field of {model.__name__}"
                )
        doc = (model.__doc__ or "").strip()
        if not doc:
            raise ValueError(
                f"{type_name}: {model.__name__} needs a docstring (it becomes the catalog entry)"
            )
        REGISTRY.add(
            EventSpec(
                type=type_name,
                model=model,
                owner=owner,
                major=major,
                minor=minor,
                key=key,
                consumers=tuple(consumers),
                planned=tuple(planned),
                description=doc,
                partitions=partitions,
                retention_days=retention_days,
                subject=subject,
                fact_dates=tuple(fact_dates),
            )
        )
        return model

    return register


def _is_dated(annotation: Any) -> bool:
    """``date``, ``datetime`` or pydantic's ``AwareDatetime``, optionally ``| None``."""
    candidates = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    return all(
        c is AwareDatetime or (isinstance(get_origin(c) or c, type) and issubclass(get_origin(c) or c, date))
        for c in candidates
    )


def spec_for(data: EventData | type[EventData]) -> EventSpec:
    model = data if isinstance(data, type) else type(data)
    return REGISTRY.for_model(model)


def describe(spec: EventSpec) -> dict[str, Any]:
    return {
        "type": spec.type,
        "version": spec.version,
        "owner": spec.owner,
        "key": spec.key,
        "consumers": list(spec.consumers),
        "topic": spec.topic,
    }
