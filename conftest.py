"""Fixtures shared by every test suite in the repository (real Kafka and PostgreSQL)."""

pytest_plugins = ["msp_events.testing.infra", "msp_events.testing.faults"]
