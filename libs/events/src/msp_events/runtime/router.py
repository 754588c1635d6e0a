"""Declaring which event types a service handles.

``handlers.py`` of a service creates a ``HandlerRouter`` and decorates thin functions with
``@router.handles(SomeEvent)``; ``app.py`` hands the router to the runtime. The router knows the
topics to subscribe to, so subscriptions are derived from code and checked against the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from msp_events.registry import REGISTRY, EventData, EventSpec

if TYPE_CHECKING:
    from msp_events.envelope import Envelope
    from msp_events.runtime.uow import UnitOfWork

D = TypeVar("D", bound=EventData)
Handler = Callable[["UnitOfWork", "Envelope[Any]"], None]


@dataclass(frozen=True)
class Route:
    spec: EventSpec
    handler: Handler


class HandlerRouter:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def handles(
        self, model: type[D]
    ) -> Callable[[Callable[[UnitOfWork, Envelope[D]], None]], Callable[[UnitOfWork, Envelope[D]], None]]:
        spec = REGISTRY.for_model(model)

        def register(
            fn: Callable[[UnitOfWork, Envelope[D]], None],
        ) -> Callable[[UnitOfWork, Envelope[D]], None]:
            if spec.type in self._routes:
                raise ValueError(f"{spec.type} already has a handler: {self._routes[spec.type].handler}")
            self._routes[spec.type] = Route(spec, fn)
            return fn

        return register

    def before(
        self, step: Callable[[UnitOfWork], None], *, except_for: tuple[type[EventData], ...] = ()
    ) -> None:
        """Run ``step`` before every handler registered so far, except those of ``except_for``: for
        work a batch holds (``UnitOfWork.batch``) that every other message must see written first."""
        skipped = {REGISTRY.for_model(model).type for model in except_for}
        for type_name, route in list(self._routes.items()):
            if type_name not in skipped:
                self._routes[type_name] = Route(route.spec, _after(step, route.handler))

    def route(self, type_name: str) -> Route | None:
        return self._routes.get(type_name)

    @property
    def specs(self) -> list[EventSpec]:
        return [r.spec for r in self._routes.values()]

    @property
    def topics(self) -> list[str]:
        return sorted({r.spec.topic for r in self._routes.values()})


def _after(step: Callable[[UnitOfWork], None], handler: Handler) -> Handler:
    def run(uow: UnitOfWork, event: Envelope[Any]) -> None:
        step(uow)
        handler(uow, event)

    return run
