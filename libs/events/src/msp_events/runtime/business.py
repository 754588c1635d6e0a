"""Business gauges: what an agent knows about the MSP, on its ``/metrics`` next to the runtime's.

The runtime's metrics say whether the pipes flow; an owner's dashboard also wants to see what flows
through them (clients per margin band, open licence findings, spend over budget). Each service gives
the runtime a reader over its own store; the collector calls it at scrape time, inside one read-only
session, so the figures are as fresh as the last committed batch and no handler pays for them.
All gauges share one metric family, ``msp_business_value{service, gauge, label}``, so one dashboard
panel shows every agent's without knowing them in advance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BusinessGauge:
    """One figure: ``gauge`` names what is counted (``clients_in_band``), ``label`` one value of its
    single dimension (``critical``), or "" when it has none."""

    gauge: str
    value: Decimal | int
    label: str = ""


BusinessReader = Callable[[Session], Iterable[BusinessGauge]]


class BusinessCollector(Collector):
    def __init__(self, service: str, engine: Engine, read: BusinessReader) -> None:
        self.service = service
        self.engine = engine
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values = GaugeMetricFamily(
            "msp_business_value",
            "What the agent reports about the MSP, from its own store at scrape time",
            labels=["service", "gauge", "label"],
        )
        ok = GaugeMetricFamily(
            "msp_business_read_ok",
            "1 when the last read of the business gauges succeeded",
            labels=["service"],
        )
        try:
            with Session(self.engine) as session:
                gauges = list(self.read(session))
        except SQLAlchemyError as error:
            # A scrape must never fail because the database is away: the readiness probe says that.
            log.warning("%s: business gauges not read: %s", self.service, error)
            ok.add_metric([self.service], 0)
            yield ok
            return
        for gauge in gauges:
            values.add_metric([self.service, gauge.gauge, gauge.label], float(gauge.value))
        ok.add_metric([self.service], 1)
        yield values
        yield ok
