"""The agents' names: the one declaration (no imports, so the registry and the types can share it)."""

from typing import Literal

ServiceName = Literal["cpi", "spo", "ram", "sli", "dsa", "vcm"]
"""One of the agents. Adding an agent starts here (see "How to add a service" in docs/architecture.md);
``msp_events.registry.SERVICES`` is this list, and a test checks that the installed agents (the
``msp.agents`` entry points) are exactly these."""
