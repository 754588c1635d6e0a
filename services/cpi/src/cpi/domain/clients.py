"""The client directory: which version of a client's master data is the current one.

PSA exports and webhooks arrive late and out of order; the version with the latest change time
wins. Two different versions stamped with the same time are ordered by their digest, so replaying
the same facts in any order leaves the same directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClientVersion:
    client_id: str
    name: str
    status: str
    tier: str | None
    currency: str | None
    as_of: datetime
    digest: str
    """Fingerprint of the payload this version came from; breaks ties between equal ``as_of``."""


def supersedes(incoming: ClientVersion, current: ClientVersion | None) -> bool:
    """True when ``incoming`` should replace ``current``: later change time, then larger digest."""
    return current is None or (incoming.as_of, incoming.digest) > (current.as_of, current.digest)
