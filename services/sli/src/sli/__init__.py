"""SLI: software licence intelligence.

Knows every licence subscription the MSP buys for its clients at the distributor, to reconcile seats
bought against seats assigned in the tenant and seats billed in the PSA.
"""

SERVICE_NAME = "sli"
