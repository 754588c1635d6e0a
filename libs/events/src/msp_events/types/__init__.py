"""Every event type of the platform, one module per producing domain.

Importing this package registers all types in ``msp_events.REGISTRY``.
"""

from msp_events.types import platform  # noqa: F401
