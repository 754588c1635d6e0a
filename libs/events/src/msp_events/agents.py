"""The installed agents, found through the ``msp.agents`` entry-point group.

Each agent's ``pyproject.toml`` registers its wiring module (``cpi = "cpi.app"``), which provides
``create_service(settings, transport)`` and ``Settings``. Everything that runs "all the agents"
(the embedded demo, replay targets, the order-independence contract, the infra checks) asks here
instead of keeping its own list, so a new agent is found once its package is installed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from msp_events.registry import SERVICES

GROUP = "msp.agents"


@dataclass(frozen=True)
class Agent:
    name: str
    app_module: str
    """The wiring module: ``create_service``, ``create_app`` and ``Settings``."""

    @property
    def package(self) -> str:
        return self.app_module.split(".", 1)[0]

    def app(self) -> ModuleType:
        return importlib.import_module(self.app_module)

    def module(self, name: str) -> ModuleType:
        """Another module of the agent's package, e.g. ``api``."""
        return importlib.import_module(f"{self.package}.{name}")


def installed() -> dict[str, Agent]:
    """The agents registered in this environment, in ``SERVICES`` order (unknown names last)."""
    found = {ep.name: Agent(ep.name, ep.value) for ep in entry_points(group=GROUP)}
    order = {name: n for n, name in enumerate(SERVICES)}
    return {name: found[name] for name in sorted(found, key=lambda n: (order.get(n, len(order)), n))}


def names() -> tuple[str, ...]:
    return tuple(installed())
