"""The registry's ``consumers=`` and the services' handlers agree.

The registry decides which dead-letter and redrive topics ``msp-events topics apply`` creates, what
``msp-replay redrive <consumer>`` looks for and what the catalog and AsyncAPI documents promise; the
``HandlerRouter`` of each service decides what it really subscribes to. When they disagree, a redrive
reports "no dead-letter topic yet" for a type the service never reads (CPI was listed for six), or
a handled type gets no dead-letter topic from ``topics apply``.

Services still being built are *planned* consumers of what their design gives them
(``@event(..., planned=(...))``): shown in the catalog, without topics or subscriptions. When a
handler is added, the service moves from ``planned=`` to ``consumers=``, and this test says so.
"""

from __future__ import annotations

import importlib

import pytest

from msp_events.registry import REGISTRY, SERVICES
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.router import HandlerRouter

CLOCK = "clock.ticked"  # every service subscribes to the clock, handler or not (Service.input_topics)
CONSENSUS = {"decision.proposed", "decision.vote.cast", "decision.reached"}


def router_of(service: str) -> HandlerRouter:
    """The router the service's ``app.py`` builds (CPI's and SLI's need their settings' rules)."""
    handlers = importlib.import_module(f"{service}.handlers")
    if hasattr(handlers, "router"):
        router: HandlerRouter = handlers.router
        return router
    app = importlib.import_module(f"{service}.app")
    settings = app.Settings(MSP_TRANSPORT="inprocess", DATABASE_URL="sqlite://")
    built = app.create_service(settings, transport=InProcessBus())
    built.engine.dispose()
    wired: HandlerRouter = built.router
    return wired


@pytest.mark.parametrize("service", SERVICES)
def test_the_registry_lists_a_service_as_consumer_exactly_for_what_it_handles(service: str) -> None:
    handled = {spec.type for spec in router_of(service).specs}
    declared = {spec.type for spec in REGISTRY.consumed_by(service)}
    undeclared = handled - declared
    assert not undeclared, (
        f"{service} handles {sorted(undeclared)} but the registry does not list it as a consumer: add "
        f"{service!r} to consumers= of those @event declarations, then run `msp-events schemas export "
        f"&& msp-events catalog`"
    )
    unhandled = declared - handled - {CLOCK}
    assert not unhandled, (
        f"the registry lists {service} as a consumer of {sorted(unhandled)}, which it has no handler "
        f"for: move {service!r} to planned= of those @event declarations (or add the handler)"
    )
    early = {spec.type for spec in REGISTRY if service in spec.planned} & handled
    assert not early, f"{service} handles {sorted(early)}: move it from planned= to consumers= there"
