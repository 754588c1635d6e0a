"""make demo: a simulated MSP through the six agents in one process, a briefing and a report."""
