"""Wire formats: Kafka (CloudEvents binary and structured mode) and EventBridge entries."""
