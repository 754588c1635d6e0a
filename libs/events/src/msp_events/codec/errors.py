"""Why a message could not be turned into an event.

Each reason is a short stable code (for metrics labels and the ``x-dlt-reason`` header) plus a
sentence that tells the operator what is wrong with the message.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    TOO_LARGE = "too-large"
    MISSING_HEADERS = "missing-ce-headers"
    BAD_HEADER = "bad-ce-header"
    NOT_JSON = "not-json"
    UNKNOWN_TYPE = "unknown-type"
    SCHEMA_INVALID = "schema-invalid"
    HANDLER_REJECTED = "handler-rejected"
    HANDLER_FAILED = "handler-failed"
    IMPLAUSIBLE_TIME = "implausible-time"


class DecodeError(Exception):
    """A message that can never become a valid event; it belongs in the dead-letter topic."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
