"""A finding's life: opened once under a stable id, updated when its gap changes, resolved when it
closes.

The id derives from what the finding is about (client, SKU, class), never from when it was seen,
so a replay, a restart or a recompute finds the same id, and CPI and SPO can keep their own state
per finding. The *gap* is what a reader acts on: seats, money per month and the action text (the
named inactive users included); anything else changing is not news.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sli.domain.reconciliation import Finding

NAMESPACE = uuid.UUID("5b1d3f0e-6c2a-4e8b-9f47-2d8c1a6e0b93")

Change = Literal["opened", "updated", "resolved"]


def finding_id(client_id: str, sku_id: str, finding_class: str) -> str:
    """Stable id of a client's finding of one class on one SKU."""
    return str(uuid.uuid5(NAMESPACE, f"sli/{client_id}/{sku_id}/{finding_class}"))


@dataclass(frozen=True)
class Gap:
    """What was last published of an open finding."""

    seats: int
    amount: str | None
    """Money per month as a decimal string (exact), None when unknown."""
    currency: str | None
    action_text: str

    @classmethod
    def of(cls, finding: Finding) -> Gap:
        m = finding.monthly
        return cls(
            finding.seats,
            None if m is None else str(m.amount),
            None if m is None else m.currency,
            finding.action_text,
        )


def change_of(current: Finding | None, published: Gap | None) -> Change | None:
    """What to publish for one finding id: nothing when its gap is unchanged."""
    if current is None:
        return None if published is None else "resolved"
    if published is None:
        return "opened"
    return None if Gap.of(current) == published else "updated"
