"""Value types shared by several payload modules (not events themselves).

Kept in one place so that, for example, a ticket's priority and a site visit's priority are the
same enum on the wire, and every coordinate has the same bounds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from msp_events.agent_names import ServiceName as ServiceName  # payloads name agents with it
from msp_events.money import CurrencyMismatchError, Money

Priority = Literal["p1", "p2", "p3", "p4"]
"""Ticket/visit priority normalised from the PSA's priority names: p1 = emergency (whole
business down, 15-30 min response), p2 = high (1 h), p3 = normal (4 business hours),
p4 = low/scheduled (next business day or planned)."""

Latitude = Annotated[float, Field(ge=-90, le=90)]
"""WGS84 latitude in decimal degrees (a coordinate, not an amount: float is exact enough)."""

Longitude = Annotated[float, Field(ge=-180, le=180)]
"""WGS84 longitude in decimal degrees."""

MonthPeriod = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
"""A calendar month as ``YYYY-MM``."""


def require_one_currency(*amounts: Money | None) -> None:
    """Raise if the given amounts (``None`` ignored) are not all in one currency.

    Used by payloads whose amounts are meant to be added up (invoice lines, margin inputs), so
    the mistake is caught at the producer rather than as a ``CurrencyMismatchError`` in a
    consumer's arithmetic.
    """
    codes = {m.currency for m in amounts if m is not None}
    if len(codes) > 1:
        raise CurrencyMismatchError(f"amounts must share one currency, got {sorted(codes)}")
