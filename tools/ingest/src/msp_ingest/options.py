"""What an importer may need besides the file: things the export itself does not say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from msp_ingest.importer import Mapping


@dataclass(frozen=True)
class Options:
    #: currency of amounts when the export has no currency column (ISO 4217)
    currency: str | None = None
    #: PSA client id the file belongs to, for per-tenant exports (Microsoft Graph, one AWS account)
    client_id: str | None = None
    #: other ``--set name=value`` settings a mapping documents
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    """A supported export format: its name on the command line, what it is, and its mapping."""

    name: str
    description: str
    build: Callable[[Options], Mapping]
    #: files (``file``) or a folder of documents (``folder``)
    takes: str = "file"
