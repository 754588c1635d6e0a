"""CPI: client profitability intelligence.

Knows, for every client and agreement, whether it makes money and why, and which clients are about
to leave. Publishes ``client.profitability.changed``.
"""

SERVICE_NAME = "cpi"
