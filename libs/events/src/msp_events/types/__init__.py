"""Every event type of the platform, one module per producing domain.

Importing this package registers all types in ``msp_events.REGISTRY``.
"""

from msp_events.types import (  # noqa: F401
    agents,
    billing,
    cloud,
    consensus,
    contracts,
    crm,
    dispatch,
    finance,
    licensing,
    platform,
    psa,
    rmm,
)
