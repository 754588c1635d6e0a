"""The business gauges reach /metrics at scrape time, and a failing read never fails the scrape."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from msp_events.runtime.business import BusinessCollector, BusinessGauge


def scrape(read: object) -> str:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE findings (kind TEXT, monthly TEXT)"))
        connection.execute(
            text("INSERT INTO findings VALUES ('unbilled', '12.50'), ('unbilled', '7.25'), ('unused', '3')")
        )
    registry = CollectorRegistry()
    registry.register(BusinessCollector("sli", engine, read))  # type: ignore[arg-type]
    return generate_latest(registry).decode()


def open_findings(session: Session) -> Iterator[BusinessGauge]:
    rows = session.execute(
        text("SELECT kind, COUNT(*), SUM(CAST(monthly AS NUMERIC)) FROM findings GROUP BY kind ORDER BY kind")
    )
    for kind, count, monthly in rows:
        yield BusinessGauge("open_findings", count, kind)
        yield BusinessGauge("monthly_leakage", Decimal(str(monthly)), kind)


def test_each_gauge_is_one_series_of_msp_business_value_read_at_scrape_time() -> None:
    metrics = scrape(open_findings)
    assert 'msp_business_value{gauge="open_findings",label="unbilled",service="sli"} 2.0' in metrics
    assert 'msp_business_value{gauge="monthly_leakage",label="unbilled",service="sli"} 19.75' in metrics
    assert 'msp_business_value{gauge="open_findings",label="unused",service="sli"} 1.0' in metrics
    assert 'msp_business_read_ok{service="sli"} 1.0' in metrics


def test_a_read_that_fails_reports_read_ok_zero_instead_of_failing_the_scrape() -> None:
    def broken(session: Session) -> Iterator[BusinessGauge]:
        session.execute(text("SELECT * FROM no_such_table"))
        yield BusinessGauge("never", 1)

    metrics = scrape(broken)
    assert 'msp_business_read_ok{service="sli"} 0.0' in metrics
    assert "msp_business_value{" not in metrics
