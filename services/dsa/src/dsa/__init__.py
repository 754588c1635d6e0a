"""DSA: department spend analytics.

Knows what each department planned to spend per period, to measure actual and forecast spend
against it and alert before a budget is blown.
"""

SERVICE_NAME = "dsa"
