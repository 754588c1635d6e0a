"""What every service's REST API refuses at the edge, written once.

Bad input must never reach a 500. Two kinds of it got through before:

* **Control characters** (NUL above all) in a path or query value: SQLite stores them, PostgreSQL
  refuses a NUL in a text parameter with an error, which surfaced as a 500. ``RefuseControlCharacters``
  (installed by ``build_http_app`` on every service) answers 422 before routing, naming the
  parameter, for every route at once; ``EntityId`` also says so in the OpenAPI (its pattern), so
  clients and fuzzers know.
* **Numbers** past what the database takes: a page ``offset`` of 2**63 is an overflow error in
  SQLite and PostgreSQL alike. ``Offset`` and ``Limit`` bound the paging parameters.
* **Months** far outside any book (``0001-01``, ``9999-12``): month arithmetic around them leaves
  four-digit years. ``Month`` accepts ``YYYY-MM`` from 1900-01 to 2999-12 only: a fixed range, not one
  relative to the clock, so the same request gets the same answer on every day and in every replay.

Both answer in FastAPI's own 422 shape (``detail: [{loc, msg, type}]``), which every operation with
parameters already documents.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Query
from pydantic import AfterValidator, Field, WithJsonSchema
from starlette.responses import JSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FIRST_MONTH, LAST_MONTH = "1900-01", "2999-12"
MONTH_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"
_MONTH_SHAPE = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits only (\d takes any script's)

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]+$"


def check_month(text: str) -> str:
    """``YYYY-MM`` between 1900-01 and 2999-12, or ``ValueError`` saying what is wrong."""
    match = _MONTH_SHAPE.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-03")
    if not FIRST_MONTH <= text <= LAST_MONTH:
        raise ValueError(f"{text} is out of range: months run from {FIRST_MONTH} to {LAST_MONTH}")
    return text


Month = Annotated[
    str,
    AfterValidator(check_month),
    WithJsonSchema({"type": "string", "pattern": MONTH_PATTERN, "description": "YYYY-MM, 1900-01..2999-12"}),
]
"""A calendar month as a path or query parameter: ``Annotated[Month | None, Query(alias=...)]``."""

EntityId = Annotated[str, Field(min_length=1, max_length=128, pattern=NO_CONTROL_PATTERN)]
"""An id in a path or query (client, agreement ...): 1-128 characters, no control characters."""


MAX_OFFSET = 1_000_000_000
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]
"""Paging parameters: ``limit: Limit = 100, offset: Offset = 0``. The offset is bounded because the
databases are not: past 2**63 SQLite and PostgreSQL refuse the number with an error (a 500)."""


class RefuseControlCharacters:
    """ASGI middleware: a control character in the (decoded) path or a query value is a 422.

    Checked before routing, so no handler, and no database, ever sees one. Pure ASGI (not
    ``BaseHTTPMiddleware``): it costs one regex search over the path and query per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = _control_character(scope)
            if problem is not None:
                loc, what = problem
                body = {
                    "detail": [
                        {
                            "loc": loc,
                            "msg": f"{what} contains a control character (such as NUL): remove it; "
                            "ids and values are printable text",
                            "type": "value_error",
                        }
                    ]
                }
                await JSONResponse(body, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _control_character(scope: Scope) -> tuple[list[str], str] | None:
    path = scope.get("path", "")
    if CONTROL.search(path):
        return ["path"], "the path"
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    query = raw.decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if CONTROL.search(name) or CONTROL.search(value):
            return ["query", name], f"query parameter {name!r}"
    return None
