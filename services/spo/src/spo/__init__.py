"""SPO: sales pipeline optimisation.

Knows every open, won and lost opportunity in the MSP's CRM, what the pipeline is worth once each
deal is weighted by its chance to close, and which deals are going quiet.
"""

SERVICE_NAME = "spo"
