"""What CPI puts on the owner's dashboard (``msp_business_value``): the last closed month's clients
per margin band, counted from CPI's own store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from sqlalchemy import func, select
from sqlmodel import Session

from msp_events.runtime.business import BusinessGauge

from cpi.domain.alerts import Band
from cpi.store.tables import LedgerClose, MarginJudgement


def business_gauges(session: Session) -> Iterator[BusinessGauge]:
    closed = session.exec(select(func.max(LedgerClose.last_closed_month))).one()[0]
    counts: dict[str, int] = dict.fromkeys(get_args(Band), 0)
    if closed is not None:
        rows = session.exec(
            select(MarginJudgement.band, func.count())
            .where(MarginJudgement.month == closed)
            .group_by(MarginJudgement.band)
        ).all()
        counts.update({band: count for band, count in rows})
    # Every band is always reported (0 included), so a band emptying shows as a fall, not a gap.
    for band, count in counts.items():
        yield BusinessGauge("clients_in_band", count, band)
