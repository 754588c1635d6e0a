"""The registry's ``consumers=`` and the services' handlers agree.

The registry decides which dead-letter and redrive topics ``msp-events topics apply`` creates, what
``msp-replay redrive <consumer>`` looks for and what the catalog and AsyncAPI documents promise; the
``HandlerRouter`` of each service decides what it really subscribes to. When they disagree, a redrive
reports "no dead-letter topic yet" for a type the service never reads (CPI was listed for six), or
a handled type gets no dead-letter topic from ``topics apply``.

Services still being built declare inputs they do not handle yet: those are listed below, each
with why, and the list must shrink (a pair that gets a handler must leave it). CPI has none left
except the types the registry's own tests pin (``test_types.py``): the consensus protocol, which
every agent consumes by convention, and ``resource.utilization.alert``, whose only consumer is CPI.
"""

from __future__ import annotations

import importlib

import pytest

from msp_events.registry import REGISTRY, SERVICES
from msp_events.runtime.router import HandlerRouter

CLOCK = "clock.ticked"  # every service subscribes to the clock, handler or not (Service.input_topics)
CONSENSUS = {"decision.proposed", "decision.vote.cast", "decision.reached"}

NOT_YET_HANDLED: dict[str, set[str]] = {
    # Planned, pinned by test_types.py (decisions reach every agent; the alert must have a consumer).
    "cpi": {*CONSENSUS, "resource.utilization.alert"},
    # Skeleton services: only their first fact type is handled so far.
    "spo": {
        *CONSENSUS,
        "billing.invoice.issued",
        "client.churn.risk.changed",
        "client.profitability.changed",
        "license.compliance.violation",
        "psa.agreement.upserted",
        "psa.client.upserted",
    },
    "ram": {
        *CONSENSUS,
        "client.profitability.changed",
        "dispatch.visit.requested",
        "psa.agreement.upserted",
        "psa.client.upserted",
        "psa.ticket.updated",
        "psa.time_entry.logged",
    },
    "sli": {
        *CONSENSUS,
        "billing.invoice.issued",
        "licensing.seat.activity",
        "psa.agreement.upserted",
        "psa.client.upserted",
        "rmm.software.inventoried",
        "sales.opportunity.identified",
    },
    "dsa": {
        *CONSENSUS,
        "cloud.cost.recorded",
        "contract.renewal.due",
        "finance.expense.recorded",
        "licensing.seat.activity",
        "licensing.subscription.upserted",
        "psa.client.upserted",
    },
    "vcm": {
        *CONSENSUS,
        "licensing.subscription.upserted",
        "psa.agreement.upserted",
        "psa.client.upserted",
        "psa.ticket.updated",
        "spend.anomaly.detected",
    },
}


def router_of(service: str) -> HandlerRouter:
    """The router the service's ``app.py`` builds (CPI's needs its settings' ledger config)."""
    handlers = importlib.import_module(f"{service}.handlers")
    if hasattr(handlers, "router"):
        router: HandlerRouter = handlers.router
        return router
    app = importlib.import_module(f"{service}.app")
    built: HandlerRouter = handlers.build_router(app.ledger_config(app.Settings()))
    return built


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
    planned = NOT_YET_HANDLED.get(service, set())
    assert unhandled - planned == set(), (
        f"the registry lists {service} as a consumer of {sorted(unhandled - planned)}, which it has no "
        f"handler for: remove {service!r} from those consumers= (or add the handler)"
    )
    assert planned - unhandled == set(), (
        f"{service} now handles {sorted(planned - unhandled)}: remove them from NOT_YET_HANDLED here"
    )
