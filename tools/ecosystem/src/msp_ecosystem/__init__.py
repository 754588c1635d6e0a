"""The agents as separate processes on real Kafka and PostgreSQL: launch, settle, run, capture."""
