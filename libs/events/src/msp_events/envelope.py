"""The envelope every event travels in: CloudEvents 1.0 attributes plus our extensions.

``correlationid`` ties together everything one original fact caused, ``causationid`` names the
direct cause, and ``partitionkey`` is the Kafka key. Ids of events produced by a handler are
derived from their cause, so replaying the same input log yields byte-identical output.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from msp_events.registry import REGISTRY, EventData, EventSpec, spec_for

D = TypeVar("D", bound=EventData)

# Namespace for ids derived from a cause (uuid5): stable across processes and replays.
_DERIVED_ID_NAMESPACE = uuid.UUID("6f1c2a47-3a1e-5d7b-9a55-0c5be3f3e8d1")


def derived_event_id(cause_source: str, cause_id: str, producer: str, seq: int) -> str:
    """The id of the ``seq``-th event ``producer`` emitted while handling one cause."""
    return str(uuid.uuid5(_DERIVED_ID_NAMESPACE, f"{cause_source}|{cause_id}|{producer}|{seq}"))


class Envelope(BaseModel, Generic[D]):
    """One event: CloudEvents context attributes and the typed ``data``."""

    model_config = ConfigDict(frozen=True)

    specversion: str = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1, description="producer, e.g. msp.cpi or psa.connectwise")
    type: str = Field(min_length=1)
    subject: str | None = None
    time: AwareDatetime
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    partitionkey: str | None = None
    data: D

    @property
    def spec(self) -> EventSpec:
        return REGISTRY.get(self.type)

    @classmethod
    def build(
        cls,
        data: D,
        *,
        source: str,
        time: datetime,
        id: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
    ) -> Envelope[D]:
        """Wrap a payload, filling type, subject, key and schema from the registry.

        Without an explicit ``id`` one is derived from source, type, key, time and content, so a fact
        imported twice from the same export keeps the same id (and the inbox drops the copy), while
        two different versions of one entity stamped with the same time stay distinct.
        """
        spec = spec_for(data)
        key = spec.key_of(data)
        if id is None:
            content = data.digest()
            id = str(
                uuid.uuid5(_DERIVED_ID_NAMESPACE, f"{source}|{spec.type}|{key}|{time.isoformat()}|{content}")
            )
        return Envelope[D](
            id=id,
            source=source,
            type=spec.type,
            subject=spec.subject_of(data),
            time=time,
            dataschema=spec.dataschema,
            correlationid=correlationid or id,
            causationid=causationid,
            partitionkey=key,
            data=data,
        )

    def caused(
        self, data: EventData, *, source: str, producer: str, seq: int, time: datetime | None = None
    ) -> Envelope[Any]:
        """An event produced while handling this one: same correlation, and the same event time
        unless ``time`` (never earlier than this event's) says it happened later, e.g. a
        correction that must not be dated before the event it corrects. The id does not depend
        on the time: it is derived from this event's id, the producer and ``seq``."""
        if time is not None and time < self.time:
            raise ValueError(
                f"an event caused by {self.id} cannot be dated {time}, before its cause ({self.time})"
            )
        return Envelope.build(
            data,
            source=source,
            time=time or self.time,
            id=derived_event_id(self.source, self.id, producer, seq),
            correlationid=self.correlationid or self.id,
            causationid=self.id,
        )

    def attributes(self) -> dict[str, str]:
        """Context attributes as strings (for ``ce_`` headers), without ``data``."""
        out: dict[str, str] = {}
        for name in ATTRIBUTE_NAMES:
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return out


ATTRIBUTE_NAMES = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "correlationid",
    "causationid",
    "partitionkey",
)
