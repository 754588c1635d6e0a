"""Prometheus metrics every service exposes on ``/metrics``.

Labels stay low-cardinality (event type, reason), never entity ids. Each service gets its own
registry so that several services can share one process in the embedded default.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RuntimeMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = {"service": service}
        self.consumed = Counter(
            "msp_events_consumed", "Events handled (first delivery)", ["type"], registry=self.registry
        )
        self.produced = Counter(
            "msp_events_produced",
            "Events relayed from the outbox to the transport",
            ["type"],
            registry=self.registry,
        )
        self.failed = Counter(
            "msp_events_failed",
            "Handler attempts that raised (each retry counts)",
            ["type", "reason"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "msp_events_dead_lettered",
            "Messages sent to this consumer's dead-letter topics",
            ["type", "reason"],
            registry=self.registry,
        )
        self.dead_letters_truncated = Counter(
            "msp_events_dead_letters_truncated",
            "Dead letters published with the value cut (too large for the broker); see x-dlt-truncated",
            ["type"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "msp_consumer_lag",
            "Records after the committed offset, per assigned partition",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.consumer_stalled_partitions = Gauge(
            "msp_consumer_stalled_partitions",
            "Partitions with lag and no committed progress for longer than STALL_AFTER_S",
            registry=self.registry,
        )
        self.consumer_seconds_since_progress = Gauge(
            "msp_consumer_seconds_since_progress",
            "Longest time a partition with lag has gone without a commit (0 when none has lag)",
            registry=self.registry,
        )
        self.consumer_lag_known = Gauge(
            "msp_consumer_lag_known",
            "1 when the last lag read from the broker succeeded, 0 when it failed",
            registry=self.registry,
        )
        self.duplicates = Counter(
            "msp_inbox_duplicates",
            "Deliveries dropped by the inbox as already processed",
            ["type"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "msp_handler_seconds",
            "Time spent in a handler, including its unit of work",
            ["type"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "msp_outbox_backlog", "Outbox rows not yet relayed", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "msp_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet relayed",
            registry=self.registry,
        )
        self.alignment_enforced = Counter(
            "msp_alignment_enforced",
            "Times an input partition with records still to fetch was waited for longer than "
            "ALIGN_MAX_IDLE_S and the others were released without it (event-time order not assured)",
            registry=self.registry,
        )
        self.alignment_held = Gauge(
            "msp_alignment_held_records",
            "Records fetched and buffered for event-time alignment, not yet handed to the handlers",
            registry=self.registry,
        )
        self.relay_leader = Gauge(
            "msp_outbox_relay_leader",
            "1 while this process's outbox relay holds the service's publishing lock (always 1 on SQLite)",
            registry=self.registry,
        )
        self.clock_last_tick = Gauge(
            "msp_clock_last_tick_timestamp_seconds",
            "Time of the latest clock.ticked this service has read (0 before the first); the platform "
            "clock has stopped when it falls behind the wall clock by more than a period or two",
            registry=self.registry,
        )
        self._last_tick = 0.0
        self.info = Gauge(
            "msp_service_info", "Which service this process runs", ["service"], registry=self.registry
        )
        self.info.labels(**labels).set(1)

    def observe_tick(self, tick_time: float) -> None:
        """Keeps the latest tick seen: a redelivered or replayed older tick never moves it back."""
        if tick_time > self._last_tick:
            self._last_tick = tick_time
            self.clock_last_tick.set(tick_time)
